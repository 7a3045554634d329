# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt | cksum | cut -d' ' -f1)

.PHONY: run test lint browser-deps clean package

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing pinned dependencies into $(VENV) ..."
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

run: $(STAMP)
	@$(PY) scripts/run_local.py

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/cfn-lint infra/*.yaml
	$(PY) -m json.tool zappa_settings.json >/dev/null
	$(PY) manage.py makemigrations --check --dry-run

# The browser test drives Debian's Chromium; install it when missing and we may.
browser-deps:
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "The browser test needs Chromium: sudo apt-get install -y chromium" >&2; exit 1; fi; }

test: $(STAMP) lint browser-deps
	$(PY) -m pytest

# One Lambda zip per stage of zappa_settings.json (or STAGES="dev production") in build/,
# from wheels for the python3.11 runtime (DESIGN decision 11); see README "Running on Lambda".
package: $(STAMP)
	$(PY) scripts/package.py $(if $(STAGES),--stages "$(STAGES)")

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
