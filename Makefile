# The two commands of the quick start: `make run` and `make test`.
# Python 3.13, the version of the Lambda runtime (python3.13): the first python3.13 on PATH, else
# pyenv's newest 3.13; or name one with `make PYTHON=/path/to/python3.13 ...`.
# (A pyenv shim on PATH may not run, hence each candidate is tried.)
PYTHON ?= $(shell for p in python3.13 $$(ls -d $(HOME)/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | sort -rV); do \
  $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-py313-$(shell cat requirements.txt requirements-dev.txt constraints.txt | cksum | cut -d' ' -f1)

.PHONY: run test lint browser-deps clean package sdk print-python

print-python:
	@echo "$(or $(PYTHON),none found: install Python 3.13 (pyenv install 3.13) or make PYTHON=/path/to/python3.13)"

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@test -n "$(PYTHON)" || { echo "No Python 3.13 found. Install it (pyenv install 3.13, or Debian 13's python3.13 and python3.13-venv) or run make PYTHON=/path/to/python3.13." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' || { echo "$(PYTHON) is not Python 3.13 (the Lambda runtime's version)." >&2; exit 1; }
	@$(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	@echo "Installing pinned dependencies into $(VENV) ..."
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

run: $(STAMP) web
	@$(PY) scripts/run_local.py

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/cfn-lint infra/*.yaml
	$(PY) -m json.tool zappa_settings.json >/dev/null
	$(PY) manage.py makemigrations --check --dry-run

# The browser test drives Debian's Chromium; install it when missing and we may.
browser-deps:
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "The browser test needs Chromium: sudo apt-get install -y chromium" >&2; exit 1; fi; }

# Node.js and npm (for the IAM simulator and the page audit) from Debian when missing and we may.
.PHONY: node-deps
node-deps:
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "The tests need Node.js and npm: sudo apt-get install -y nodejs npm" >&2; exit 1; fi; }

# The IAM policy simulator that tests/iam/ runs on every recorded AWS call (AGPL: a test tool,
# never in the Lambda package); npm ci installs the exact versions of tests/iam/package-lock.json.
IAM_STAMP := tests/iam/node_modules/.installed-$(shell cat tests/iam/package.json tests/iam/package-lock.json | cksum | cut -d' ' -f1)

$(IAM_STAMP): tests/iam/package.json tests/iam/package-lock.json | node-deps
	@echo "Installing the IAM simulator's pinned npm packages into tests/iam/node_modules ..."
	@cd tests/iam && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The TypeScript client's pinned toolchain (openapi-typescript, openapi-fetch, tsc) in clients/ts/node_modules.
TS_CLIENT_STAMP := clients/ts/node_modules/.installed-$(shell cat clients/ts/package.json clients/ts/package-lock.json | cksum | cut -d' ' -f1)

$(TS_CLIENT_STAMP): clients/ts/package.json clients/ts/package-lock.json | node-deps
	@echo "Installing the TypeScript client's pinned npm packages into clients/ts/node_modules ..."
	@cd clients/ts && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The web app (clients/web/, README "MyToDoList app"): its pinned toolchain and libraries, then
# the build in clients/web/dist/ (git-ignored) that `make run` and the tests serve at /app/.
WEB_STAMP := clients/web/node_modules/.installed-$(shell cat clients/web/package.json clients/web/package-lock.json | cksum | cut -d' ' -f1)

$(WEB_STAMP): clients/web/package.json clients/web/package-lock.json | node-deps
	@echo "Installing the web app's pinned npm packages into clients/web/node_modules ..."
	@cd clients/web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: web
web: $(WEB_STAMP) $(TS_CLIENT_STAMP)
	@cd clients/web && node_modules/.bin/tsc -p . && node_modules/.bin/tsc -p tsconfig.sw.json && node build.mjs

test: $(STAMP) lint browser-deps $(IAM_STAMP) $(TS_CLIENT_STAMP) web
	$(PY) -m pytest -m "not rehearse and not advisories" --durations=15

# The edit-test loop: no lint, no browser, no slow tests (markers: pyproject.toml).
.PHONY: test-fast
test-fast: $(STAMP) $(IAM_STAMP) $(TS_CLIENT_STAMP)
	$(PY) -m pytest -m "not rehearse and not advisories and not slow and not browser"

# Known vulnerabilities of the locked runtime set (tests/security/test_dependencies.py, pip-audit).
# Not in `make test`: it needs PyPI's advisory data (the registry's JSON API), which the package
# registry access of this CI answers with 404 for every package; run it where that API answers.
.PHONY: audit-deps
audit-deps: $(STAMP)
	$(PY) -m pytest -m advisories tests/security/test_dependencies.py

# One Lambda zip per stage of zappa_settings.json (or STAGES="dev production") in build/,
# from wheels for the python3.13 runtime (docs/architecture.md, decision 11); see README "Running on Lambda".
package: $(STAMP)
	$(PY) -m infra.packaging $(if $(STAGES),--stages "$(STAGES)")

# The rehearsal's slower part (issue 11, point 1): each stage run from its unpacked package with
# the environment Lambda sets (its role's temporary credentials from STS), read-only code and a
# writable TMPDIR only, against a moto server that enforces IAM (tests/rehearsal/). About a minute.
# Then README "The sequence" run as written for dev and production (tests marked rehearse). ~80 s.
.PHONY: rehearse
rehearse: $(STAMP)
	$(PY) -m pytest tests/rehearsal
	$(PY) -m pytest -m rehearse tests/infra

# Benchmarks (README "Benchmarks"): ratios measured in one run, JSON in benchmarks/results/,
# one chart of every ratio against its target (benchmarks/results/ratios.png). Run by hand.
.PHONY: bench bench-deps
bench-deps:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing wrk (Debian package) ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "make bench needs wrk: sudo apt-get install -y wrk" >&2; exit 1; fi; }
	@command -v wrk >/dev/null || { echo "wrk is still missing: apt-get install -y wrk" >&2; exit 1; }

bench: $(STAMP) bench-deps
	$(PY) -m benchmarks.thumbnails
	$(PY) -m benchmarks.todo_read
	$(PY) -m benchmarks.cold_start
	$(PY) -m benchmarks.read_throughput
	$(PY) -m benchmarks.package_size
	$(PY) -m benchmarks.newsletter_fanout
	$(PY) -m benchmarks.chart

# The OpenAPI schemas (clients/schemas/) and the typed Python clients generated from them
# (clients/myblog_client/, clients/mytodolist_client/), and the TypeScript client's types
# (clients/ts/src/generated/); tests/test_sdk.py fails on any drift.
sdk: $(STAMP) $(TS_CLIENT_STAMP)
	$(PY) scripts/generate_sdk.py

# Lighthouse and axe-core on `/` and a post page of the seeded site (README "Page audits"); .ci/run
# calls it. Node and npm come from Debian when missing and we may; npm ci installs the exact
# versions of audit/package-lock.json into audit/node_modules.
.PHONY: audit
AUDIT_STAMP := audit/node_modules/.installed-$(shell cat audit/package.json audit/package-lock.json | cksum | cut -d' ' -f1)

$(AUDIT_STAMP): audit/package.json audit/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "The page audit needs Node.js and npm: sudo apt-get install -y nodejs npm" >&2; exit 1; fi; }
	@echo "Installing the page audit's pinned npm packages into audit/node_modules ..."
	@cd audit && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

audit: $(STAMP) browser-deps $(AUDIT_STAMP) web
	$(PY) audit/run_audit.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts audit/node_modules tests/iam/node_modules clients/ts/node_modules clients/ts/build clients/web/node_modules clients/web/dist
