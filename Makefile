# Two commands do everything on a fresh machine: `make run` and `make test`.
# `make run` installs what the tool needs to run; `make test` adds the dev extras (pytest, ruff
# and every optional engine and format), so that the whole suite runs.
VENV   ?= .venv
PY     := $(VENV)/bin/python
RUNTIME := $(VENV)/.installed-runtime
DEV    := $(VENV)/.installed-dev

.PHONY: run test lint bench fuzz corpus clean golden

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $(RUNTIME)

$(DEV): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(DEV) $(RUNTIME)

run: $(RUNTIME)
	$(VENV)/bin/ingest seeds/ --out articles.jsonl
	@echo "articles.jsonl written. To run ingest yourself: source $(VENV)/bin/activate (then 'ingest --help'), or call $(VENV)/bin/ingest"

test: $(DEV)
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(PY) -m pytest -q -n auto

lint: $(DEV)
	$(VENV)/bin/ruff check src tests benchmarks scripts

# Regenerate golden JSON beside each fixture; read the diff before committing.
golden: $(DEV)
	$(PY) -m pytest -q tests/test_golden.py --update-golden

bench: $(DEV)
	$(PY) benchmarks/bench.py

fuzz: $(DEV)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-20000} $(PY) -m pytest -q tests/test_properties.py -p no:cacheprovider --hypothesis-profile=fuzz

corpus: $(DEV)
	$(PY) scripts/ant_corpus.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache articles.jsonl
