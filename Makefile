# Inkwell — the README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format lock bench clean i18n catalogs

## run: create .venv, install, apply migrations, serve http://localhost:5000 (development, SQLite)
## with the mail worker beside it (mail is printed in this terminal unless MAIL_SERVER is set)
run: $(VENV)/.runtime-installed catalogs
	$(BIN)/flask --app wsgi db upgrade
	VENV=$(VENV) HOST=$(HOST) PORT=$(PORT) scripts/run-dev.sh

## test: system packages, .venv, throwaway PostgreSQL + Redis, lint, the suite on SQLite and PostgreSQL
test: $(VENV)/.dev-installed catalogs
	scripts/test.sh

## lint: ruff check and format check, mypy (strict on app/; settings in pyproject.toml)
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## format: apply ruff's fixes and formatting
format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: print benchmark tables (not tests; numbers depend on the machine); wrk is installed as root
bench: $(VENV)/.runtime-installed
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || { echo "make bench needs wrk: sudo apt-get install wrk" >&2; exit 1; }
	$(BIN)/python -m bench.password_hash
	@echo
	$(BIN)/python -m bench.sql_counts
	@echo
	$(BIN)/python -m bench.search_bench
	@echo
	$(BIN)/python -m bench.http_bench

## i18n: extract every message from app/ (babel.cfg), merge it into each language's .po file
## (then translate the new and fuzzy entries there), and compile the catalogs
TRANSLATIONS := app/translations
i18n: $(VENV)/.runtime-installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k _lp:1c,2 --add-comments=TRANSLATORS: --no-location \
		--sort-output --no-wrap -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-wrap \
		--ignore-obsolete --ignore-pot-creation-date --no-fuzzy-matching
	$(MAKE) catalogs

## catalogs: compile the committed .po files into the .mo files the app reads (not in git)
catalogs: $(VENV)/.runtime-installed
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)

## lock: resolve requirements*.in into requirements*.txt, pinned with hashes, keeping today's pins
## (UPGRADE=1 moves everything to the newest versions, UPGRADE="flask nh3" only those)
lock:
	PYTHON=$(PYTHON) UPGRADE="$(UPGRADE)" scripts/lock.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

$(BIN)/python:
	@scripts/make-venv.sh "$(PYTHON)" "$(VENV)"

# --require-hashes: every file pip installs must match a hash that `make lock` recorded.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime-installed
