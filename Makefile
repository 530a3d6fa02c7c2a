# Two commands: `make run` (API + GraphiQL with the sample data) and `make test` (whole suite
# against a real Neo4j that it starts and stops itself unless NEO4J_URI is set).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# tests use their own Neo4j (port and data folder) so they never touch the `make run` store
TEST_DB_PORT ?= 7688
TEST_DB_DIR  ?= $(CURDIR)/.devdb/test

.PHONY: setup chromium run run-neo4j test bench bench-backends bench-import bench-audit bench-match schema neo4j-start neo4j-stop clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# Loads the sample into the embedded store (no Java needed) and serves
# http://127.0.0.1:8000/graphql with GraphiQL. GRAPH_API_STORE=neo4j uses Neo4j instead.
run: setup
	$(BIN)/graph-api load-sample
	$(BIN)/graph-api serve

# The same on Neo4j: starts the local Neo4j (devdb) and stops it on Ctrl-C.
run-neo4j: setup
	@bash -c 'set -e; \
	  uri=$$(devdb/devdb start); trap "devdb/devdb stop" EXIT; \
	  export GRAPH_API_STORE=neo4j NEO4J_URI=$$uri; \
	  $(BIN)/graph-api load-sample; \
	  $(BIN)/graph-api serve'

# tests/test_audit_report.py checks the HTML audit report in headless Chromium: install it if missing
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [ -n "$$CHROMIUM" ] || { \
	  sudo=; [ "$$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo=sudo; }; \
	  if command -v apt-get >/dev/null && { [ "$$(id -u)" = 0 ] || [ -n "$$sudo" ]; }; then \
	    echo "make: installing chromium (apt-get) for the HTML report test"; \
	    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium || { $$sudo apt-get update && \
	      $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }; \
	  else echo "make: the tests need Chromium: apt-get install -y chromium (as root), or set CHROMIUM" >&2; exit 1; fi; }

test: setup chromium
	@if [ -n "$$NEO4J_URI" ]; then \
	  echo "make test: using Neo4j at $$NEO4J_URI"; $(BIN)/pytest; \
	else \
	  bash -c 'set -e; export DEVDB_PORT=$(TEST_DB_PORT) DEVDB_DIR=$(TEST_DB_DIR); \
	    uri=$$(devdb/devdb start); trap "devdb/devdb stop" EXIT; \
	    echo "make test: started Neo4j at $$uri"; \
	    NEO4J_URI=$$uri $(BIN)/pytest'; \
	fi

# p50/p95 latency, req/s and store round trips of three staff queries (sample loaded first)
bench: setup
	@bash -c 'set -e; export DEVDB_PORT=$(TEST_DB_PORT) DEVDB_DIR=$(TEST_DB_DIR); \
	  uri=$$(devdb/devdb start); trap "devdb/devdb stop" EXIT; \
	  export GRAPH_API_STORE=neo4j NEO4J_URI=$$uri; \
	  $(BIN)/graph-api load-sample; $(BIN)/graph-api bench'

# embedded vs Neo4j side by side, embedded start time and memory for the sample and a generated
# graph of HOUSEHOLDS households (default 1,000,000: about 4 minutes and 4 GiB)
HOUSEHOLDS ?= 1000000
bench-backends: setup
	@bash -c 'set -e; export DEVDB_PORT=$(TEST_DB_PORT) DEVDB_DIR=$(TEST_DB_DIR); \
	  uri=$$(devdb/devdb start); trap "devdb/devdb stop" EXIT; \
	  $(BIN)/graph-api bench-backends --neo4j-uri $$uri --households $(HOUSEHOLDS)'

# ledger import speed and memory on generated tiers (files cached in .bench/tiers): embedded, and
# Neo4j ours vs a raw-driver baseline (TIERS default M L: L takes about 15 minutes of Neo4j writes)
TIERS ?= M L
TIERS_ARG := $(foreach t,$(TIERS),--tiers $(t))
bench-import: setup
	@bash -c 'set -e; export DEVDB_PORT=$(TEST_DB_PORT) DEVDB_DIR=$(TEST_DB_DIR); \
	  uri=$$(devdb/devdb start); trap "devdb/devdb stop" EXIT; \
	  $(BIN)/graph-api bench-import --neo4j-uri $$uri $(TIERS_ARG)'

# full coverage audit time on generated tiers S, M and L, embedded and Neo4j (about 15 minutes;
# AUDIT_TIERS="S M" for less). The tiers are loaded into a new embedded store and the test Neo4j (wiped).
AUDIT_TIERS ?= S M L
bench-audit: setup
	@bash -c 'set -e; export DEVDB_PORT=$(TEST_DB_PORT) DEVDB_DIR=$(TEST_DB_DIR); \
	  uri=$$(devdb/devdb start); trap "devdb/devdb stop" EXIT; \
	  $(BIN)/graph-api bench-audit --neo4j-uri $$uri --tiers "$(AUDIT_TIERS)" --json .bench/audit.json'

# matching engine: 10,000 needs x 5,000 resources (three runs), then pairing every needy household of
# tier L on the embedded store (about 5 minutes, 8 GiB)
bench-match: setup
	$(BIN)/graph-api bench-match --json .bench/match.json

# regenerate schema/schema.graphql and schema/model.md (tests fail when they are stale)
schema: setup
	$(BIN)/graph-api export-schema --out schema/schema.graphql
	$(BIN)/graph-api model-doc --out schema/model.md

neo4j-start:
	devdb/devdb start
neo4j-stop:
	devdb/devdb stop

clean:
	-devdb/devdb stop
	rm -rf $(VENV) .pytest_cache
