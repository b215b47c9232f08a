# Quick start (see README.md):
#   make lectures   set up .venv, execute every notebook headless on the offline data
#   make test       set up .venv, run the unit tests and nbval over every notebook, student and
#                   instructor versions (reduced settings)
# Options: make lectures REDUCED=1   (the CI-sized settings: minutes instead of tens of minutes)
#          make lectures DOWNLOAD=1  (DATA = "auto" may download the real data, as in Colab;
#                                     without it nothing touches the network)

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    := build/executed
export LECTURE_UTILS_REDUCED ?= $(REDUCED)
export LECTURE_UTILS_DOWNLOAD ?= $(DOWNLOAD)

.PHONY: setup lectures test notebooks lab clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

lectures: $(STAMP)
	@for lang in ja en; do \
	  $(VENV)/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=3600 \
	    --output-dir $(OUT)/$$lang notebooks/$$lang/*.ipynb || exit 1; \
	done
	@echo "Executed notebooks: $(CURDIR)/$(OUT)/ja and $(CURDIR)/$(OUT)/en (ignored by git)"

test: $(STAMP)
	LECTURE_UTILS_REDUCED=1 $(PY) -m pytest tests notebooks/ja notebooks/en notebooks/instructor \
	  --nbval-lax --nbval-current-env --durations=15

notebooks: $(STAMP)
	$(PY) notebooks/build.py

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) build .pytest_cache
