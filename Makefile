# Quick start (see README.md):
#   make lectures   set up .venv, execute every notebook headless on the offline data
#   make test       the whole test suite (what CI runs). First `tools/prereqs.py` names what this machine
#                   lacks (with the command that installs it); a tier that cannot run is skipped with one
#                   loud line (under STRICT=1, as in CI, it is an error). Then the tiers run side by side,
#                   one CPU thread per process:
#                   test-newest  .venv, the newest packages: tools/lint.py (the wording rules of the docs
#                                and the lectures), unit tests (2 workers) + nbval over the Japanese
#                                student notebooks
#                   test-colab   .venv-colab, Google Colab's Python and package versions
#                                (tests/colab-constraints.txt): data, download and widget tests, the
#                                grader's kernel on Colab's jupyter_client and ipykernel, + nbval over
#                                the English student notebooks
#                   test-book    after test-newest, with its data folder (its weights, never trained
#                                twice): the reading copy, whose build runs the instructor notebooks (ja,
#                                en) with their hidden checks; then tests/test_executed.py reads those
#                                executions, tests/test_book.py opens the pages in headless Chromium, and
#                                tests/lecturer/test_grading_lectures.py grades each lecture's solutions (sandboxed)
#                   (each notebook version runs once: ja and en have the same code cells, tests/test_notebooks.py)
#   make test-quick unit tests + the English student notebooks, newest packages (a contributor's check)
# Options: make lectures REDUCED=1   (the CI-sized settings: minutes instead of tens of minutes)
#          make lectures DOWNLOAD=1  (DATA = "auto" may download the real data, as in Colab;
#                                     without it nothing touches the network)

SHELL        := /bin/bash
.SHELLFLAGS  := -o pipefail -c
VENV         := .venv
PY           := $(VENV)/bin/python
STAMP        := $(VENV)/.installed
DOCS_STAMP   := $(VENV)/.docs-installed
COLAB_VENV   := .venv-colab
COLAB_PY     := $(COLAB_VENV)/bin/python
COLAB_STAMP  := $(COLAB_VENV)/.installed
COLAB_PIN    := tests/colab-constraints.txt
LECTURER     := lecturer
# Colab's Python (the "# python" line of $(COLAB_PIN)); pyenv's copy when there is one
COLAB_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) python3.13)
OUT          := build/executed
# nbval: a cell that runs 5 minutes at the reduced settings has stalled (e.g. a widget waiting for a frontend)
NBVAL        := --nbval-lax --nbval-current-env --nbval-cell-timeout=300
SHOWN        := '^(torch|numpy|gdown|ipywidgets|ipykernel|ipython|nbclient|pytest)=='
# what only the book tier runs: the built book and its executions, and the graded lectures (in the newest
# tier's data folder, so their notebooks load its weights)
BOOK_TESTS   := tests/test_book.py tests/test_executed.py tests/lecturer/test_grading_lectures.py
NOT_BOOK     := $(foreach t,$(BOOK_TESTS),--ignore=$(t))
COLAB_TESTS  := tests/test_download.py tests/test_sources.py tests/test_data.py tests/test_widgets.py tests/test_colab.py
# the lecturer's grader on Colab's jupyter_client 7 and ipykernel 6 (lecture_tools from the checkout, not installed)
COLAB_GRADER := tests/lecturer/test_grading.py::test_natural_forms_of_a_right_answer_score_and_unanswered_questions_say_so \
                tests/lecturer/test_grading.py::test_ctrl_c_while_a_c_extension_loads_is_one_line
export LECTURE_UTILS_REDUCED ?= $(REDUCED)
export LECTURE_UTILS_DOWNLOAD ?= $(DOWNLOAD)

.PHONY: setup lectures test test-newest test-colab test-book test-quick test-real-data notebooks lab clean book \
        _newest _colab _book

setup: $(STAMP)

# .venv: the student's package lecture_utils (with the [dev] extra) and the lecturer's, lecture_tools
# ($(LECTURER)/: grading, the command line python -m lecture_tools), both editable, in one pip run.
$(STAMP): pyproject.toml $(LECTURER)/pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]" -e ./$(LECTURER)
	touch $(STAMP)

# make test and make book: the lectures' packages and the book's (the [docs] extra), in one pip run.
# Never installed by a student: what the badges install is the package alone.
$(DOCS_STAMP): pyproject.toml $(LECTURER)/pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,docs]" -e ./$(LECTURER)
	touch $(STAMP) $(DOCS_STAMP)

# .venv-colab: what a student has in Colab, the student's package alone (no lecture_tools), at Colab's versions.
$(COLAB_STAMP): pyproject.toml $(COLAB_PIN)
	test -x $(COLAB_PY) || $(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_PY) -m pip install --quiet -c $(COLAB_PIN) -e ".[test]"
	touch $(COLAB_STAMP)

lectures: $(STAMP)
	@for lang in ja en; do \
	  $(VENV)/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=3600 \
	    --output-dir $(OUT)/$$lang notebooks/$$lang/*.ipynb || exit 1; \
	done
	@echo "Executed notebooks: $(CURDIR)/$(OUT)/ja and $(CURDIR)/$(OUT)/en (ignored by git)"

# --- tests -------------------------------------------------------------------------------------------
# Every test process, kernel and subprocess computes on one thread (two jobs fighting over two cores
# are ten times slower); the tiers and the test workers share the cores instead.
TESTS_TARGETS := test test-newest test-colab test-book test-quick test-real-data _newest _colab _book
$(TESTS_TARGETS): export OMP_NUM_THREADS := 1
$(TESTS_TARGETS): export MKL_NUM_THREADS := 1

# The tiers run side by side (-j3), each line prefixed with its tier; the book tier starts when the
# newest tier is done and shares its data folder, so it loads the weights the newest tier trained.
test:
	@tiers=$$(python3 tools/prereqs.py) || exit 1; \
	data=$$(mktemp -d); \
	$(MAKE) --no-print-directory -j3 $$(printf '_%s ' $$tiers) TEST_DATA=$$data; status=$$?; \
	rm -rf $$data; python3 tools/prereqs.py --skipped; \
	if [ $$status -eq 0 ]; then echo "make test: passed in $$SECONDS s (tiers: $$tiers)"; \
	else echo "make test: FAILED after $$SECONDS s" >&2; fi; \
	exit $$status

# One tier alone, with a new empty data folder (removed afterwards).
test-newest test-colab test-book:
	@data=$$(mktemp -d); $(MAKE) --no-print-directory _$(@:test-%=%) TEST_DATA=$$data; status=$$?; rm -rf $$data; exit $$status

_newest: $(DOCS_STAMP)
	@$(PY) tools/lint.py 2>&1 | sed -u 's/^/[newest] /'
	@echo "newest run:" $$($(PY) -m pip freeze --exclude-editable | grep -iE $(SHOWN))
	LECTURE_UTILS_REDUCED=1 LECTURE_UTILS_DATA=$(TEST_DATA) $(PY) -m pytest -n 2 --dist loadfile -p no:cacheprovider \
	  tests notebooks/ja $(NOT_BOOK) $(NBVAL) --durations=10 2>&1 | sed -u 's/^/[newest] /'; \
	  status=$$?; echo "[newest] tier done in $$SECONDS s"; exit $$status

_colab: $(COLAB_STAMP)
	@echo "Colab run:" $$($(COLAB_PY) -m pip freeze --exclude-editable | grep -iE $(SHOWN))
	data=$$(mktemp -d) && PYDEVD_DISABLE_FILE_VALIDATION=1 LECTURE_UTILS_REDUCED=1 LECTURE_UTILS_DATA=$$data \
	  PYTHONPATH=$(LECTURER) $(COLAB_PY) -m pytest -p no:cacheprovider $(COLAB_TESTS) $(COLAB_GRADER) notebooks/en $(NBVAL) \
	  --durations=5 2>&1 | sed -u 's/^/[colab] /'; \
	  status=$$?; rm -rf $$data; echo "[colab] tier done in $$SECONDS s"; exit $$status

# The CI-sized book, executed in TEST_DATA; then the checks of its executions and of its pages.
_book: $(DOCS_STAMP) $(filter _newest,$(MAKECMDGOALS))
	$(MAKE) --no-print-directory book BOOK_JOBS=2 LECTURE_UTILS_REDUCED=1 LECTURE_UTILS_DATA=$(TEST_DATA) 2>&1 \
	  | sed -u 's/^/[book] /' && \
	BOOK_REQUIRED=1 LECTURE_UTILS_DATA=$(TEST_DATA) $(PY) -m pytest -n 2 --dist loadfile -p no:cacheprovider $(BOOK_TESTS) \
	  2>&1 | sed -u 's/^/[book] /'; status=$$?; echo "[book] tier done in $$SECONDS s"; exit $$status

# A contributor's check before pushing: the unit tests and one language's student notebooks.
test-quick: $(STAMP)
	@$(PY) tools/lint.py || exit 1; data=$$(mktemp -d); LECTURE_UTILS_REDUCED=1 LECTURE_UTILS_DATA=$$data $(PY) -m pytest -n 2 --dist loadfile \
	  -p no:cacheprovider tests notebooks/en $(NOT_BOOK) $(NBVAL); status=$$?; rm -rf $$data; exit $$status

# The lectures' printed verdicts on the real data (CI has none; a local check after changing them):
#   make test-real-data CAPSULE=/path/to/capsule MNIST=/path/to/MNIST
# executes the English student notebooks (reduced) on them, then tests/test_executed.py reads those runs.
test-real-data: $(STAMP)
	@test -d "$(CAPSULE)/train/good" -a -d "$(MNIST)/raw" || { echo "make test-real-data CAPSULE=DIR MNIST=DIR:" \
	  "CAPSULE holds train/good (MVTec layout), MNIST holds raw/ (the four idx files)" >&2; exit 2; }
	data=$$(mktemp -d); LECTURE_UTILS_REDUCED=1 LECTURE_UTILS_DATA=$$data LECTURE_UTILS_CAPSULE=$(abspath $(CAPSULE)) \
	  LECTURE_UTILS_MNIST=$(abspath $(MNIST)) $(VENV)/bin/jupyter nbconvert --to notebook --execute \
	  --output-dir build/real-data/en notebooks/en/*.ipynb; status=$$?; rm -rf $$data; exit $$status
	EXECUTED_NOTEBOOKS=build/real-data BOOK_REQUIRED=1 $(PY) -m pytest -p no:cacheprovider tests/test_executed.py

notebooks: $(STAMP)
	$(PY) notebooks/build.py

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) $(COLAB_VENV) build .pytest_cache

# The reading copy: one HTML book per language from the executed lectures (book/README.md).
#   make book             build/book/html/{ja,en}/ (offline data unless DOWNLOAD=1; REDUCED=1 for CI sizes)
#   make test-book        the CI-sized book, the checks of its executions, its pages in headless Chromium
BOOK_JOBS    ?= 1

book: $(DOCS_STAMP)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) book/build.py --jobs $(BOOK_JOBS)
