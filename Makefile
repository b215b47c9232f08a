# Quick start (see README.md):
#   make lectures   set up .venv, execute every notebook headless on the offline data
#   make test       the whole test suite (what CI runs):
#                   make test-newest  .venv, the newest packages: unit tests + nbval over the Japanese
#                                     student notebooks
#                   make test-colab   .venv-colab, Google Colab's Python and package versions
#                                     (tests/colab-constraints.txt): data, download and widget tests +
#                                     nbval over the English student notebooks
#                   make test-book    the reading copy (CI-sized), opened in headless Chromium; its build
#                                     runs the instructor notebooks (ja, en) with their hidden checks
#                   (each notebook version runs once: ja and en have the same code cells, tests/test_notebooks.py)
# Options: make lectures REDUCED=1   (the CI-sized settings: minutes instead of tens of minutes)
#          make lectures DOWNLOAD=1  (DATA = "auto" may download the real data, as in Colab;
#                                     without it nothing touches the network)

VENV         := .venv
PY           := $(VENV)/bin/python
STAMP        := $(VENV)/.installed
COLAB_VENV   := .venv-colab
COLAB_PY     := $(COLAB_VENV)/bin/python
COLAB_STAMP  := $(COLAB_VENV)/.installed
COLAB_PIN    := tests/colab-constraints.txt
# Colab's Python (the "# python" line of $(COLAB_PIN)); pyenv's copy when there is one
COLAB_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) python3.13)
OUT          := build/executed
NBVAL        := --nbval-lax --nbval-current-env
SHOWN        := '^(torch|numpy|gdown|ipywidgets|ipykernel|ipython|nbclient|pytest)=='
export LECTURE_UTILS_REDUCED ?= $(REDUCED)
export LECTURE_UTILS_DOWNLOAD ?= $(DOWNLOAD)

.PHONY: setup lectures test test-newest test-colab notebooks lab clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

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

test: test-newest test-colab test-book

# Each run keeps its downloads and weights in a new empty folder, so no run reuses another's.
test-newest: $(STAMP)
	@echo "newest run:" $$($(PY) -m pip freeze --exclude-editable | grep -iE $(SHOWN))
	data=$$(mktemp -d) && LECTURE_UTILS_REDUCED=1 LECTURE_UTILS_DATA=$$data $(PY) -m pytest \
	  tests notebooks/ja $(NBVAL) --durations=15; \
	  status=$$?; rm -rf $$data; exit $$status

test-colab: $(COLAB_STAMP)
	@echo "Colab run:" $$($(COLAB_PY) -m pip freeze --exclude-editable | grep -iE $(SHOWN))
	data=$$(mktemp -d) && PYDEVD_DISABLE_FILE_VALIDATION=1 LECTURE_UTILS_REDUCED=1 LECTURE_UTILS_DATA=$$data $(COLAB_PY) -m pytest \
	  tests/test_download.py tests/test_sources.py tests/test_data.py tests/test_widgets.py tests/test_colab.py \
	  tests/test_messages.py notebooks/en $(NBVAL); \
	  status=$$?; rm -rf $$data; exit $$status

notebooks: $(STAMP)
	$(PY) notebooks/build.py

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) $(COLAB_VENV) build .pytest_cache

# The reading copy: one HTML book per language from the executed lectures (book/README.md).
#   make book             build/book/html/{ja,en}/ (offline data unless DOWNLOAD=1; REDUCED=1 for CI sizes)
#   make test-book        the CI-sized book (a new empty data folder, two lectures at a time), then
#                         tests/test_book.py in headless Chromium (fails where it would skip)
# Its packages (the [docs] extra) go into .venv only, never into what a student installs.
DOCS_STAMP   := $(VENV)/.docs-installed
BOOK_JOBS    ?= 1

.PHONY: book test-book

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e ".[dev,docs]"
	touch $(DOCS_STAMP)

book: $(DOCS_STAMP)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) book/build.py --jobs $(BOOK_JOBS)

test-book: $(DOCS_STAMP)
	data=$$(mktemp -d) && $(MAKE) --no-print-directory book BOOK_JOBS=2 LECTURE_UTILS_REDUCED=1 LECTURE_UTILS_DATA=$$data; \
	  status=$$?; rm -rf $$data; exit $$status
	BOOK_REQUIRED=1 $(PY) -m pytest tests/test_book.py tests/test_workflows.py
