# The two commands of the README: `make run` and `make test`. Everything else is a step of theirs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export SCHEDULER_ENV ?= development

PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test install install-dev translations db lint bench extract-messages mutants clean

run: install translations db
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

# One pytest worker per core (TEST_WORKERS=0 runs in one process, e.g. to use a debugger). Four
# workers on 2 cores ran the suite in 4.6 min instead of 5.7, but then the accessibility check of
# a long page could outlast the browser tests' 30 s wait (2 of 4 CI runs).
TEST_WORKERS ?= auto
test: install-dev translations
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

translations: install $(MO_FILES)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

db: install
	$(FLASK) db upgrade

# Pull new UI strings into the catalogs; then translate the empty msgstr entries.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output --no-wrap .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --no-wrap

lint: install-dev
	$(BIN)/ruff check .

# Mutation testing of the rule modules ([tool.mutmut] in pyproject.toml); slow, not part of CI.
mutants: install-dev translations
	$(BIN)/mutmut run --max-children $(or $(MUTANT_JOBS),2)
	$(BIN)/mutmut results

# Each page against a floor app in the same run; set BENCH_POSTGRES_URL to a database it may DROP for PostgreSQL too.
bench: install-dev translations
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance/*.sqlite3* mutants
