# Two commands do everything on a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench fuzz corpus clean golden

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/ingest seeds/ --out articles.jsonl

test: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks scripts

# Regenerate golden JSON beside each fixture; read the diff before committing.
golden: $(STAMP)
	$(PY) -m pytest -q tests/test_golden.py --update-golden

bench: $(STAMP)
	$(PY) benchmarks/bench.py

fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-20000} $(PY) -m pytest -q tests/test_properties.py -p no:cacheprovider --hypothesis-profile=fuzz

corpus: $(STAMP)
	$(PY) scripts/ant_corpus.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache articles.jsonl
