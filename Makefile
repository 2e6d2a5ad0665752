# digest: every install step lives here. `make site` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DEV := $(VENV)/.installed-dev
VNU := .tools/node_modules/vnu-jar/build/dist/vnu.jar

GOLDEN_EPOCH := 1680480000
# make bench SIZES=300,3000 for fewer (a comma inside $(or ...) would split its arguments)
SIZES ?= 300,3000,10000

.PHONY: site check test lint format golden bench clean tools

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	# compiled now, not at every start where PYTHONDONTWRITEBYTECODE is set (an editable
	# install leaves digest/ uncompiled; a rebuild with nothing to do is mostly start-up)
	$(BIN)/python -m compileall -q digest
	touch $@

$(DEV): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(VNU):
	npm install --prefix .tools --no-save --ignore-scripts --no-audit --no-fund vnu-jar

## site: set up .venv and build site/ from entries/
site: $(INSTALLED)
	@$(BIN)/python -m compileall -q digest
	$(BIN)/digest build --entries entries --out site

## check: report every problem in entries/
check: $(INSTALLED)
	$(BIN)/digest check --entries entries

## tools: the Nu HTML checker (needs npm and java) for the markup tests
tools: $(VNU)

## test: the whole test suite (browser tests need Debian's chromium; see README)
test: $(DEV) tools
	$(BIN)/pytest

## lint: ruff, as CI runs it
lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## format: let ruff fix what it can
format: $(DEV)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: digest's own benchmark (300, 3,000, 10,000 items): wall time and peak memory
bench: $(INSTALLED)
	@$(BIN)/python -m compileall -q digest
	$(BIN)/python -m tests.benchmark.run --sizes $(SIZES)

## golden: rebuild the expected golden site (review its diff before committing)
golden: $(INSTALLED)
	SOURCE_DATE_EPOCH=$(GOLDEN_EPOCH) $(BIN)/digest build --quiet --no-cache --entries tests/sites/basic/entries --out tests/golden/basic
	rm -rf tests/golden/.basic.spare

clean:
	rm -rf $(VENV) .tools site .digest-cache .pytest_cache .ruff_cache
