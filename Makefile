SHELL := /bin/bash
# The two commands that matter: `make run` and `make test`. Everything installs itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SERVICES := chassis identity filing payments search gateway
EDITABLES := -e 'services/chassis[test]' $(foreach s,$(filter-out chassis,$(SERVICES)),-e services/$(s))
PYTEST := $(BIN)/python -m pytest

.PHONY: install run stop test test-unit test-integration test-contract test-e2e test-faults schemathesis lint format bench clean

install: $(BIN)/.installed

# pip's warnings about find-links folders absent on this machine are noise; real errors still fail the step.
$(BIN)/.installed: constraints.txt requirements-dev.txt $(wildcard services/*/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3 2>&1 | grep -v 'is ignored' || true
	$(BIN)/python -m pip install --quiet -c constraints.txt $(EDITABLES) -r requirements-dev.txt 2>&1 | grep -v 'is ignored'; test $${PIPESTATUS[0]} -eq 0
	touch $@

run: install
	$(BIN)/python deploy/local/run.py

stop:
	$(BIN)/python deploy/local/run.py --stop

# Everything: unit, contract, integration, e2e, faults, then schemathesis against every service.
test: install
	$(PYTEST) services contracts tests/contract tests/e2e
	$(PYTEST) tests/faults
	$(MAKE) --no-print-directory schemathesis

test-unit: install
	$(PYTEST) services/*/tests/unit contracts

test-faults: install
	$(PYTEST) tests/faults

schemathesis: install
	$(BIN)/python tests/contract/schemathesis_run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/bus.py
	$(BIN)/python bench/identity.py
	$(BIN)/python bench/filing.py
	$(BIN)/python bench/payments.py
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) var
