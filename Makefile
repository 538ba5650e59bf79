# yinsi — every install step lives here, so a fresh machine (and CI) needs nothing by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/yinsi validate examples/declarations/*.yaml
	@mkdir -p build
	@for f in examples/declarations/*.yaml; do \
	  name=$$(basename $$f .yaml); \
	  for doc in policy summary collected-list sharing-list; do \
	    $(BIN)/yinsi render $$f --doc $$doc --format html -o build/$$name/$$doc.html || exit 1; \
	    $(BIN)/yinsi render $$f --doc $$doc --format md -o build/$$name/$$doc.md || exit 1; \
	  done; \
	done
	@echo
	@echo "Rendered policies are in build/:"
	@for f in build/*/policy.html; do echo "  open file://$$(pwd)/$$f"; done
	@echo "Try: $(BIN)/yinsi diff examples/declarations/xiaoying-kadai.yaml tests/data/xiaoying-kadai-v1.4.yaml"

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache .hypothesis
