# Quick start: `make run` (platform with demo data on SQLite) and `make test` (all tests).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

export DEBUG ?= 1
export SECRET_KEY_FILE ?= $(CURDIR)/var/secret.key
export TRUSTLABEL_MASTER_KEY_FILE ?= $(CURDIR)/var/master.key
export TRUSTLABEL_LEDGER_KEY_FILE ?= $(CURDIR)/var/ledger.key
export TRUSTLABEL_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test install lint format messages bench clean

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(BIN)/.installed

# Development secrets, made once and kept in var/ (never committed).
var/secret.key var/master.key:
	@mkdir -p var && umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@

# The development ledger's signing key (its name is the log's origin).
var/ledger.key: | install
	@mkdir -p var && umask 077 && $(BIN)/python -c \
	  "from trustlabel.ledger.note import generate_key; print(generate_key('$(HOST):$(PORT)/ledger')[0])" > $@

run: install var/secret.key var/master.key var/ledger.key
	$(BIN)/trustlabel migrate --no-input -v 0
	$(BIN)/trustlabel demo
	@echo "Background workers started (exports and EPCIS capture, the ledger's writer); Ctrl-C stops all."
	$(BIN)/trustlabel db_worker --queue-name '*' --no-reload & WORKER=$$!; \
	$(BIN)/trustlabel ledger_writer & LEDGER=$$!; \
	trap 'kill $$WORKER $$LEDGER 2>/dev/null' EXIT INT TERM; \
	$(BIN)/trustlabel runserver --noreload $(HOST):$(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 --dist loadgroup

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

# Refresh the zh-Hans catalogue after changing user-facing text (needs GNU gettext);
# the compiled .mo is committed so that running the project needs no gettext.
messages: install var/secret.key var/master.key var/ledger.key
	cd trustlabel && ../$(BIN)/trustlabel makemessages -l zh_Hans --no-obsolete --ignore=tests --ignore=conftest.py --ignore=test_settings.py
	cd trustlabel && ../$(BIN)/trustlabel compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) var
