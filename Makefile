# Each target sets up .venv itself (once, or again when requirements.txt / pyproject.toml change).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501
# pytest-xdist workers, whole test files each (--dist loadfile: a file's fixtures are built once); two fill the
# 2-core CI machine, the browser test's server running beside the other worker's tests
TEST_WORKERS ?= 2

.PHONY: run test lint checkpoints bench

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app/streamlit_app.py --server.port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

checkpoints: $(STAMP)
	$(BIN)/python -m dul_models bundle

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py
