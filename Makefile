# odradek — developer entry points. `make run` and `make test` work from a clean clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench clean sysdeps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[test]'
	touch $(TEST_STAMP)

run: $(STAMP)
	$(BIN)/odradek serve --listen 127.0.0.1:9092 --data-dir ./data

sysdeps:
	./scripts/sysdeps.sh

test: $(TEST_STAMP) sysdeps
	$(BIN)/python -m pytest -q -x --durations=15 tests

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	./bench/run.sh

clean:
	rm -rf $(VENV) build *.egg-info

# kazoo's own test suite against a 3-node odradek zk ensemble (KAZOO_TARGET=apache: Apache 3.8)
KAZOO_TARGET ?= odradek
.PHONY: kazoo-suite
kazoo-suite: $(TEST_STAMP) sysdeps
	$(BIN)/python tests/interop/zk/kazoo_suite/run.py --target $(KAZOO_TARGET)
