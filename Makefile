# Entry points. `make help` lists them. Each target creates .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EXP ?= tfidf_logreg,embed_logreg,minilm_finetune,minilm_context
ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 5000
export HF_HUB_OFFLINE ?= 1
export MLFLOW_DISABLE_TELEMETRY ?= true
export DO_NOT_TRACK ?= true
export TOKENIZERS_PARALLELISM ?= false

.DEFAULT_GOAL := help
.PHONY: help venv train curve data data-check eval eval-real predict serve score-spark browser test team-server tune train-multi bench-infer lint format bench ui clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

venv: $(VENV)/.installed ## create the virtual environment (.venv)

train: venv ## train EXP (default: the three families + the context variant), track in MLflow, export models/champion
	$(PY) -m train.run --exp $(EXP) $(ARGS)

FRACTIONS ?= 0.25,0.5,0.75,1
curve: EXP = tfidf_logreg
curve: venv ## learning curve: EXP (one, default tfidf_logreg) on growing shares of training pages
	$(PY) -m train.curve --exp $(EXP) --fractions $(FRACTIONS) $(ARGS)

data: venv ## rebuild data/corpus.jsonl from data/raw and the annotations
	$(PY) -m train.corpus build

data-check: venv ## validate the corpus and print its statistics
	$(PY) -m train.datacheck

MODEL ?= models/champion
BENCH_ARGS ?= --in-place
DATA ?=
FILE ?= data/samples/article.html
REAL_NEWS ?= ../shared/data/real-news-dev.jsonl

eval: venv ## evaluate MODEL (folder or models:/ URI) on DATA (labelled file), tracked in MLflow
	@test -n "$(DATA)" || { echo "usage: make eval DATA=labelled.jsonl [MODEL=models/champion]"; exit 2; }
	$(PY) -m train.eval --data $(DATA) --model $(MODEL)

eval-real: venv ## evaluate MODEL on the real-news dev set in ../shared (when present)
	@if [ -f "$(REAL_NEWS)" ]; then $(PY) -m train.eval --data $(REAL_NEWS) --model $(MODEL) --name eval-real-news-dev; \
	else echo "no $(REAL_NEWS): nothing to evaluate (it lives outside the repository)"; fi

lint: venv ## ruff check + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

browser: ## install Debian's chromium for the HTML report test (needs root or sudo)
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

SERVE_PORT ?= 5001
serve: venv ## REST API on HOST:SERVE_PORT (POST /invocations) for MODEL (default models/champion)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/mlflow models serve -m "$(MODEL)" --env-manager local -h $(HOST) -p $(SERVE_PORT)

score-spark: venv ## label a Parquet file on Spark local[2]: IN=sentences.parquet OUT=labelled.parquet
	@test -n "$(IN)" -a -n "$(OUT)" || { echo "usage: make score-spark IN=in.parquet OUT=out.parquet [MODEL=$(MODEL)]" >&2; exit 2; }
	$(PY) -m train.spark --model "$(MODEL)" --in "$(IN)" --out "$(OUT)"

predict: venv ## label each sentence of FILE (text/HTML/JSON Lines, - = stdin); ARGS="--html out.html"
	$(PY) -m train.predict $(FILE) --model $(MODEL) $(ARGS)

test: venv lint browser ## lint, then the whole test suite
	$(PY) -m pytest -q

bench: venv ## make train wall time + scores (tests/bench/results.json), then inference speed (infer.json)
	$(PY) -m train.bench $(BENCH_ARGS)
	$(PY) -m train.bench_infer --model $(MODEL) --out tests/bench/infer.json

bench-infer: venv ## CPU inference speed of MODEL: torch vs ONNX fp32/int8 vs TF-IDF, to tests/bench/infer.json
	$(PY) -m train.bench_infer --model $(MODEL) --out tests/bench/infer.json

ui: venv ## MLflow UI on the project's store, sorted by validation macro-F1 (HOST, PORT)
	$(PY) -m train.ui --host $(HOST) --port $(PORT)

# ---------------------------------------------------------------- beyond one machine
TRIALS ?= 20
NPROC ?= 2
DB ?= $(MLFLOW_BACKEND_STORE_URI)
ARTIFACTS ?= $(MLFLOW_ARTIFACTS_DESTINATION)
ALLOWED_HOSTS ?=

team-server: venv ## MLflow team server: DB=postgresql://user@host/db ARTIFACTS=dir (HOST, PORT)
	@test -n "$(DB)" -a -n "$(ARTIFACTS)" || { echo "usage: make team-server DB=postgresql://mlflow@localhost:5432/mlflow ARTIFACTS=/srv/mlflow/artifacts [HOST=127.0.0.1 PORT=5000 ALLOWED_HOSTS=name:*]" >&2; exit 2; }
	$(PY) -m train.team_server --backend-store-uri "$(DB)" --artifacts-destination "$(ARTIFACTS)" \
	  --host $(HOST) --port $(PORT) $(if $(ALLOWED_HOSTS),--allowed-hosts "$(ALLOWED_HOSTS)")

tune: venv ## Optuna search over one EXP's `search:` section (TRIALS=20); the best becomes champion
	@case "$(EXP)" in *,*) echo "usage: make tune EXP=<one experiment with a search: section> [TRIALS=20] [ARGS=...]" >&2; exit 2;; esac
	$(PY) -m train.tune --exp $(EXP) --trials $(TRIALS) $(ARGS)

train-multi: venv ## train EXP data-parallel on NPROC processes (a GPU each; gloo on CPU)
	$(VENV)/bin/torchrun --standalone --nproc_per_node $(NPROC) -m train.run --exp $(EXP) $(ARGS)

clean: ## remove the MLflow store and exported models (keeps .venv)
	rm -rf mlruns models/champion models/.champion.*
