# searchapp: `make run` builds the index of the bundled sample corpus and serves the web UI on
# http://127.0.0.1:5000/; `make test` runs the test suite.  Both create .venv/ first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INDEX_DIR ?= index
PORT ?= 5000
# Browser tests drive Debian's Chromium and the benchmark's load test uses wrk; installing them
# needs root (sudo when not root).
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: install run index serve test lint system-deps bench clean

# The environment is rebuilt when the pins change.  Every package is pinned with its sha256.
$(VENV)/.installed: requirements.lock setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(VENV)/.installed

index: install
	$(BIN)/searchapp index --index-dir $(INDEX_DIR) --manifest samples/manifest.csv --aliases samples/aliases.toml samples/

serve: install
	$(BIN)/searchapp serve --index-dir $(INDEX_DIR) --host 127.0.0.1 --port $(PORT)

run: index
	$(BIN)/searchapp serve --index-dir $(INDEX_DIR) --host 127.0.0.1 --port $(PORT)

system-deps:
	@test -x /usr/bin/chromium -a -x /usr/bin/wrk || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver wrk; }

lint: install
	$(BIN)/ruff check searchapp tests bench
	$(BIN)/lint-imports

test: install lint system-deps
	$(BIN)/pytest

# Speed benchmarks (needs ../shared): prints the table and rewrites BENCHMARKS.md.
bench: install system-deps
	$(BIN)/python bench/run.py --write BENCHMARKS.md

clean:
	rm -rf $(VENV) *.egg-info
	find $(INDEX_DIR) -mindepth 1 ! -name .gitignore -delete
