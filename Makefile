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
DEMO_APP_PORT ?= 8100
DEMO_LENDING_PORT ?= 8001
DEMO_DRILL ?= 0
DEMO_WOLAI_PORT ?= 8101

.PHONY: setup demo test lint bench clean topology

setup: $(STAMP) $(BROWSER)

# Chromium and CJK fonts (screenshots of Chinese pages) from Debian's packages.
$(BROWSER) &:
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-noto-cjk

# yinsi with its dev tools and the demo (yinsi[demo]: the yinsi-demo distribution in ./demo,
# installed from this clone in the same command, with Faker).
$(STAMP): pyproject.toml demo/pyproject.toml examples/lending_app/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,demo,cloud-sms]' -e ./demo -e ./examples/lending_app
	touch $(STAMP)

demo: setup
	@echo "== 1. Validate the two reference declarations (warnings are gaps of the source policies)"
	$(BIN)/yinsi validate examples/declarations/xiaoying-kadai.yaml examples/declarations/wolai-shuke.yaml
	@echo
	@echo "== 2. Render policy, summary and the two lists (Markdown and HTML) into build/"
	@for f in examples/declarations/xiaoying-kadai.yaml examples/declarations/wolai-shuke.yaml; do \
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
	@echo "== 3. What changes from 小赢卡贷 v1.3 to v1.4, and which changes need fresh consent (X03)"
	$(BIN)/yinsi diff examples/declarations/xiaoying-kadai.yaml examples/declarations/xiaoying-kadai-v1.4.yaml
	@echo
	@echo "Open the rendered policies in a browser:"
	@for f in build/*/policy.html; do echo "  file://$$(pwd)/$$f"; done
	@echo
	@echo "== 4. The demo tenant on the embedded default (./.yinsi/yinsi.db, made afresh each time):"
	@echo "      小赢卡贷 v1.3 and v1.4 published, 300 synthetic users (Faker zh_CN) with years of"
	@echo "      consents, rights requests in every status (some overdue), legal holds, an incident;"
	@echo "      their lending back-end in .yinsi/demo (SQLite files + Redis)"
	rm -rf .yinsi/yinsi.db .yinsi/yinsi.db-wal .yinsi/yinsi.db-shm .yinsi/exports
	$(BIN)/yinsi db upgrade
	$(BIN)/yinsi demo seed .yinsi/demo
	@echo
	@echo "== 5. A deletion request of a customer with held loans, by hand on the CLI:"
	@echo "      verified, approved, run; loans still held are kept and restricted (X28)"
	@set -e; . .yinsi/demo/env; m=.yinsi/demo/datamap.yaml; \
	  line=$$(grep '^mixed' .yinsi/demo/subjects.tsv); \
	  subject=$$(echo "$$line" | cut -f2); suffix=$$(echo "$$line" | cut -f3); \
	  id=$$($(BIN)/yinsi rights submit $$subject deletion --trigger purpose_done --map $$m 2>/dev/null); \
	  $(BIN)/yinsi rights verify $$id $$suffix --method id_suffix --map $$m; \
	  $(BIN)/yinsi rights approve $$id --map $$m; \
	  $(BIN)/yinsi rights run $$id --map $$m >/dev/null; \
	  $(BIN)/yinsi rights status $$id --map $$m
	@echo
	@echo "== 6. The yinsi service: privacy center (/privacy), console (/console), API (/v1)"
	@set -e; api=http://127.0.0.1:$(DEMO_PORT); \
	  for login in admin:演示管理员 operator:演示运营专员 auditor:演示审计员; do \
	    role=$${login%%:*}; \
	    echo "yinsi-demo-pass-$$(printf %s $$role | cut -c1-2)" | $(BIN)/yinsi staff add $$role --role $$role --name "$${login#*:}" --password-stdin; \
	  done; \
	  key=$$($(BIN)/yinsi keys create demo --scope admin --scope backend --scope auditor 2>/dev/null); \
	  echo; echo "Privacy center, signed in as a demo user (links valid 10 minutes; a new one:"; \
	  echo "  $(BIN)/yinsi privacy link xiaoying_kadai USER_ID --base-url $$api, users in .yinsi/demo/users.tsv):"; \
	  tail -n +2 .yinsi/demo/featured.tsv | head -n 2 | while IFS="$$(printf '\t')" read -r role subject note; do \
	    echo "  $$subject — $$note"; \
	    echo "    $$($(BIN)/yinsi privacy link xiaoying_kadai $$subject --base-url $$api)"; \
	  done; \
	  echo; echo "Console: $$api/console/login — demo logins (demo passwords, printed on purpose:"; \
	  echo "this database is a throwaway demo; never reuse them):"; \
	  for role in admin operator auditor; do echo "  $$role / yinsi-demo-pass-$$(printf %s $$role | cut -c1-2)"; done; \
	  echo; echo "API: $$api/docs (OpenAPI). API key for this demo (shown once): $$key"; \
	  first=$$(tail -n +2 .yinsi/demo/featured.tsv | head -n 1 | cut -f2); \
	  echo "  curl -s -H 'Authorization: Bearer $$key' -H 'content-type: application/json' -d '[{\"element\":\"precise_location\",\"purpose\":\"anti_fraud\",\"scenario\":\"location\"}]' $$api/v1/apps/xiaoying_kadai/subjects/$$first/decisions"; \
	  echo "  curl -s -H 'Authorization: Bearer $$key' '$$api/v1/requests?status=verified'"; \
	  echo "  curl -s -H 'Authorization: Bearer $$key' $$api/v1/audit/verify"
	@echo
	@echo "== 7. The reference lending app (issue 15) beside its own yinsi: every PI step of the app asks"
	@echo "      that yinsi over HTTP, and rights requests filed in its privacy center run on the app's tables"
	@set -e; here=$$(pwd); home=.yinsi/lending; ly=http://127.0.0.1:$(DEMO_LENDING_PORT); \
	  app=http://127.0.0.1:$(DEMO_APP_PORT); \
	  lenv="YINSI_HOME=$$home YINSI_DATABASE_URL=sqlite:///$$here/$$home/yinsi.db YINSI_KEY_FILE=$$here/$$home/keys.json LENDING_DATABASE_URL=sqlite:///$$here/$$home/lending.db"; \
	  rm -rf $$home; mkdir -p $$home; \
	  env $$lenv $(BIN)/yinsi db upgrade >/dev/null; \
	  env $$lenv $(BIN)/yinsi publish examples/declarations/xiaoying-kadai.yaml; \
	  env $$lenv $(BIN)/python -m lending_app.vetted_sources >/dev/null; \
	  env $$lenv $(BIN)/yinsi keys init >/dev/null; \
	  (umask 077; env $$lenv $(BIN)/yinsi keys create lending-app --scope backend 2>/dev/null >$$home/api-key); \
	  echo "  its yinsi: $$home/yinsi.db, data map examples/lending_app/datamap.yaml, the app's field keys"; \
	  echo "  $$home/keys.json, the app's backend API key in $$home/api-key (0600)"; \
	  if [ "$(DEMO_SERVE)" = "0" ]; then exit 0; fi; \
	  env $$lenv LENDING_HOME=$$home YINSI_URL=$$ly YINSI_API_KEY=$$(cat $$home/api-key) \
	    $(BIN)/lending-app --port $(DEMO_APP_PORT) >$$home/app.log 2>&1 & app_pid=$$!; \
	  env $$lenv $(BIN)/yinsi serve --demo --port $(DEMO_LENDING_PORT) --map examples/lending_app/datamap.yaml \
	    >$$home/yinsi.log 2>&1 & ly_pid=$$!; \
	  wolai=.yinsi/wolai; rm -rf $$wolai; \
	  LENDING_BRAND=wolai LENDING_HOME=$$wolai YINSI_DATABASE_URL=sqlite:///$$here/$$wolai/yinsi.db \
	    $(BIN)/lending-app --port $(DEMO_WOLAI_PORT) >.yinsi/wolai.log 2>&1 & wolai_pid=$$!; \
	  trap 'kill $$app_pid $$ly_pid $$wolai_pid 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/python examples/lending_app/drill.py --app $$app --yinsi $$ly --ready 30 \
	    || { echo "The lending app or its yinsi did not start:"; tail -n 20 $$home/app.log $$home/yinsi.log; exit 1; }; \
	  echo; echo "Reference lending app: $$app/ (H5 pages /register, /credit, /loans with the 隐私中心 button; API $$app/docs; log $$home/app.log)"; \
	  echo "Its yinsi: $$ly/privacy (privacy center), $$ly/docs (API; log $$home/yinsi.log)."; \
	  echo "The same app as 我来数科 (LENDING_BRAND=wolai, its remediated declaration, yinsi embedded in"; \
	  echo "  $$wolai/yinsi.db): http://127.0.0.1:$(DEMO_WOLAI_PORT)/wolai/ (log .yinsi/wolai.log)"; \
	  echo "  A privacy-center link by hand, for a user registered in the app (the drill prints one):"; \
	  echo "  env YINSI_HOME=$$home $(BIN)/yinsi privacy link xiaoying_kadai USER_ID --url sqlite:///$$here/$$home/yinsi.db --base-url $$ly"; \
	  echo "Violation drill (X29: each consent withdrawn in that privacy center stops only its steps):"; \
	  echo "  $(BIN)/python examples/lending_app/drill.py --app $$app --yinsi $$ly   (make demo DEMO_DRILL=1 runs it)"; \
	  if [ "$(DEMO_DRILL)" = "1" ]; then $(BIN)/python examples/lending_app/drill.py --app $$app --yinsi $$ly || true; fi; \
	  echo; echo "Stop the services with Ctrl-C."; \
	  . .yinsi/demo/env; $(BIN)/yinsi serve --demo --port $(DEMO_PORT) --map .yinsi/demo/datamap.yaml

test: lint
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src demo tests benchmarks examples/lending_app scripts
	$(BIN)/ruff format --check src demo tests benchmarks examples/lending_app scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

# 2 API processes, 2 Celery workers and beat on this machine's PostgreSQL, RabbitMQ and Redis,
# on a scratch database and queue removed at the end (docs/scaling.md, "A tested topology").
# TOPOLOGY_ARGS=--check runs the smoke and stops; Ctrl-C stops everything otherwise.
topology: setup
	$(BIN)/python scripts/topology.py $(TOPOLOGY_ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache .hypothesis
