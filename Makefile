# govsignin: `make run` serves the provider and the demo services; `make test` runs the whole suite.
# Every target installs what it needs first, so both work on a fresh machine.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CHROMIUM := /usr/bin/chromium
export GOVSIGNIN_CHROMIUM := $(CHROMIUM)

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

MO := src/govsignin/translations/cy/LC_MESSAGES/messages.mo
PO := src/govsignin/translations/cy/LC_MESSAGES/messages.po

install: $(STAMP) $(NODE_STAMP) $(MO) ## install the venv and npm packages (idempotent)

$(MO): $(PO) $(STAMP)
	$(BIN)/pybabel compile -d src/govsignin/translations -D messages

translations: install ## extract new strings into the catalogue (then translate cy/…/messages.po)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -o src/govsignin/translations/messages.pot src/govsignin
	$(BIN)/pybabel update -i src/govsignin/translations/messages.pot -d src/govsignin/translations -D messages

# requirements.lock pins every installed version (`make lock` rewrites it from the venv).
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements.lock -e '.[test,demo]'
	touch $@

lock: ## rewrite requirements.lock from the installed venv (after changing pyproject.toml)
	$(BIN)/pip freeze --exclude-editable > requirements.lock

lint: install ## ruff check (the rule selection is in pyproject.toml)
	$(BIN)/ruff check src tests bench demo

$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

chromium: ## install Debian's Chromium for the browser tests, where absent
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation; }

run: install ## serve the provider on http://localhost:8000 with the two demo services
	$(BIN)/python -m demo.run

relying-parties: ## the independent relying parties' own environments (govuk-onelogin-django)
	bash tests/external/onelogin_django/install.sh

# The suite on every core (pytest-xdist, at most four workers: each starts its own live servers
# and Chromium), then the `faults` tests on their own: they restart the machine's PostgreSQL,
# which would fail other workers' requests. PYTEST_ARGS=... runs just those arguments, serially.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n < 4 ? n : 4 )))

test: install chromium relying-parties ## run the whole suite (SQLite and PostgreSQL)
ifeq ($(strip $(PYTEST_ARGS)),)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not faults"
	$(BIN)/python -m pytest -m faults
else
	$(BIN)/python -m pytest $(PYTEST_ARGS)
endif

bench: install ## run the benchmarks (see bench/README.md)
	$(BIN)/python -m bench.run

.PHONY: translations help install lock lint chromium relying-parties run test bench
