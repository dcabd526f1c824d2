# ldn-intake: `make run` starts the service, `make test` runs every test (README, Quick start).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench clean

# Re-install only when requirements.txt changes.
$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# The browser tests drive Debian's chromium (Playwright cannot download browsers here).
$(CHROMIUM):
	@echo "make: installing Debian's chromium for the browser tests"
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

run: $(STAMP)
	$(BIN)/python -m workflows.launch

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) $(CHROMIUM) lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/screen_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
