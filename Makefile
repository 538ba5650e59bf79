# yinsi — every install step lives here, so a fresh machine (and CI) needs nothing by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The browser for the page tests comes from Debian (Playwright drives it; it downloads nothing).
BROWSER := /usr/bin/chromium /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_PORT ?= 8000
DEMO_SERVE ?= 1

.PHONY: setup demo test lint bench clean

setup: $(STAMP) $(BROWSER)

# Chromium and CJK fonts (screenshots of Chinese pages) from Debian's packages.
$(BROWSER) &:
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-noto-cjk

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	@echo "== 1. Validate the two reference declarations (warnings are gaps of the source policies)"
	$(BIN)/yinsi validate examples/declarations/*.yaml
	@echo
	@echo "== 2. Render policy, summary and the two lists (Markdown and HTML) into build/"
	@for f in examples/declarations/*.yaml; do \
	  name=$$(basename $$f .yaml); \
	  for doc in policy summary collected-list sharing-list; do \
	    for fmt in md html; do \
	      out=$$($(BIN)/yinsi render $$f --doc $$doc --format $$fmt -o build/$$name/$$doc.$$fmt 2>&1) \
	        || { echo "$$out"; exit 1; }; \
	    done; \
	  done; \
	  echo "  $$f -> build/$$name/{policy,summary,collected-list,sharing-list}.{md,html}"; \
	done
	@echo
	@echo "== 3. What changes from 小赢卡贷 v1.3 to a v1.4 draft, and which changes need fresh consent (X03)"
	$(BIN)/yinsi diff examples/declarations/xiaoying-kadai.yaml tests/data/xiaoying-kadai-v1.4.yaml
	@echo
	@echo "Open the rendered policies in a browser:"
	@for f in build/*/policy.html; do echo "  file://$$(pwd)/$$f"; done
	@echo
	@echo "== 4. 小赢卡贷 published on the embedded default (SQLite ./.yinsi/yinsi.db)"
	$(BIN)/yinsi db upgrade
	$(BIN)/yinsi publish examples/declarations/xiaoying-kadai.yaml
	@echo
	@echo "== 5. A deletion request against a sample lending back-end (SQLite files + Redis):"
	@echo "      verified, approved, run; loans still held are kept and restricted (X28)"
	$(BIN)/yinsi sample seed .yinsi/sample --subjects 50
	@set -e; . .yinsi/sample/env; m=.yinsi/sample/datamap.yaml; \
	  line=$$(grep '^mixed' .yinsi/sample/subjects.tsv); \
	  subject=$$(echo "$$line" | cut -f2); suffix=$$(echo "$$line" | cut -f3); \
	  id=$$($(BIN)/yinsi rights submit $$subject deletion --trigger purpose_done --map $$m 2>/dev/null); \
	  $(BIN)/yinsi rights verify $$id $$suffix --method id_suffix --map $$m; \
	  $(BIN)/yinsi rights approve $$id --map $$m; \
	  $(BIN)/yinsi rights run $$id --map $$m >/dev/null; \
	  $(BIN)/yinsi rights status $$id --map $$m
	@echo
	@echo "== 6. The yinsi service (consent, decisions, rights requests under /v1)"
	@key=$$($(BIN)/yinsi keys create demo --scope admin --scope backend --scope auditor 2>/dev/null) || exit 1; \
	  api=http://127.0.0.1:$(DEMO_PORT); auth="Authorization: Bearer $$key"; \
	  echo; echo "API key for this demo (shown once): $$key"; \
	  echo "Call it from another terminal:"; \
	  echo "  curl -s $$api/healthz"; \
	  echo "  curl -s -X POST -H '$$auth' -H 'content-type: application/json' -d '{\"evidence\":{\"channel\":\"app\"}}' $$api/v1/apps/xiaoying_kadai/subjects/u1/policy:accept"; \
	  echo "  curl -s -H '$$auth' -H 'content-type: application/json' -d '[{\"element\":\"precise_location\",\"purpose\":\"anti_fraud\",\"scenario\":\"location\"}]' $$api/v1/apps/xiaoying_kadai/subjects/u1/decisions"; \
	  echo "  curl -s -X POST -H '$$auth' -H 'content-type: application/json' -d '{\"evidence\":{\"channel\":\"app\"}}' $$api/v1/apps/xiaoying_kadai/subjects/u1/consents/location:grant"; \
	  echo "  curl -s -H '$$auth' $$api/v1/audit/verify"; \
	  echo "  curl -s -H '$$auth' '$$api/v1/requests?status=partially_completed'"; \
	  echo "OpenAPI: $$api/docs — stop the service with Ctrl-C."; \
	  if [ "$(DEMO_SERVE)" != "0" ]; then . .yinsi/sample/env; \
	    exec $(BIN)/yinsi serve --port $(DEMO_PORT) --map .yinsi/sample/datamap.yaml; fi

test: lint
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
