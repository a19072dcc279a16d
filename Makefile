# piimask: the pipeline as a DAG of files. `make help` lists the targets.
# PROFILE picks params/<PROFILE>.yaml (stacked on params/base.yaml); outputs go to outputs/<PROFILE>/.
# LAUNCH picks where 04 trains: local (the notebook's process), accelerate (NPROC processes under
# `accelerate launch`: one per GPU, or CPU processes) or sagemaker (a SageMaker training job with
# params/overlays/sagemaker.yaml stacked on the profile; the model comes back into outputs/<PROFILE>/model/).
PROFILE ?= default
LAUNCH  ?= local
NPROC   ?= 2
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
RUN     := outputs/$(PROFILE)
DATA    := $(RUN)/data
NBOUT   := $(RUN)/notebooks
PKG     := src/piimask
STAMPS  := $(RUN)/.stamps
# what each stage's code is: the core floor, the stage's own modules and the notebook (a change
# to another stage's code does not rebuild this one)
CORE    := $(wildcard $(PKG)/core/*.py $(PKG)/core/*.yaml)
GEN_SRC := $(CORE) $(wildcard $(PKG)/pipeline/generate/*.py $(PKG)/data/*.* $(PKG)/data/fragments/*.* $(PKG)/data/fragments/*/*) $(PKG)/pipeline/answers.py $(PKG)/runtime/llm.py
LBL_SRC := $(CORE) $(PKG)/pipeline/validate.py $(PKG)/pipeline/dataset.py $(PKG)/pipeline/answers.py $(PKG)/pipeline/cards.py
VAL_SRC := $(LBL_SRC) $(PKG)/pipeline/realism.py $(PKG)/pipeline/generate/reference.py $(PKG)/pipeline/viz.py
TRN_SRC := $(CORE) $(PKG)/pipeline/train.py $(PKG)/pipeline/train_entry.py $(PKG)/pipeline/launch.py $(PKG)/pipeline/sagemaker_job.py \
           $(PKG)/pipeline/dataset.py $(PKG)/pipeline/cards.py $(wildcard $(PKG)/pipeline/metrics/*.py)
EVL_SRC := $(CORE) $(PKG)/pipeline/evaluate.py $(PKG)/pipeline/dataset.py $(PKG)/runtime/predict.py $(PKG)/pipeline/viz.py \
           $(PKG)/pipeline/cards.py $(PKG)/pipeline/report.py
MSK_SRC := $(EVL_SRC) $(PKG)/runtime/mask.py $(PKG)/runtime/llm.py
STG_SRC := $(PKG)/pipeline/stages.py
PARAMS  := params/base.yaml params/$(PROFILE).yaml
BASE    := outputs/base-model/config.json
# PAPERMILL runs a notebook (tests put a stand-in here). Each notebook's printed lines (generation
# and training progress, results) stream to the terminal as they come (--stdout-file -); papermill's
# own cell-count bar would sit still through a long cell.
PAPERMILL ?= $(PY) -m papermill --cwd notebooks -k python3 -p profile $(PROFILE) --log-level WARNING \
             --no-progress-bar --stdout-file -
STAMP   ?= $(PY) -m piimask.pipeline.commands stamp
REPORT  ?= $(PY) -m piimask.pipeline.report
# LAUNCH: where 04 trains (overrides of the notebook's params; a change of LAUNCH alone rebuilds nothing)
ifeq ($(LAUNCH),local)
TRAIN_ON :=
else ifeq ($(LAUNCH),accelerate)
TRAIN_ON := -y "overrides: {train_processes: $(NPROC)}"
else ifeq ($(LAUNCH),sagemaker)
TRAIN_ON = -y "$$(sed -e 's/^/  /' -e '1i overrides:' params/overlays/sagemaker.yaml)"
else
$(error LAUNCH=$(LAUNCH): use local, accelerate (with NPROC=<processes>) or sagemaker)
endif

.DEFAULT_GOAL := help
.PHONY: help install all generate label validate finetune evaluate report mask base-model realdata lint test bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  PROFILE=$(PROFILE) (default, smoke, multilingual, bedrock, bedrock-batch, full)"
	@echo "  LAUNCH=$(LAUNCH) (local, accelerate with NPROC=$(NPROC), sagemaker) - where finetune trains"

# -- environment ------------------------------------------------------------------------------
# torch is installed first and on its own, torch==2.13.0 from pip's index; where a torch is
# already installed (Kaggle, SageMaker) the venv sees it and keeps it. On an ordinary Linux box
# PyPI's torch is the CUDA build (GBs): name PyTorch's CPU index to get the CPU build instead,
#   make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
# (left empty, pip uses its configured index, which on this project's machines serves the CPU wheel).
TORCH_INDEX ?=
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || { if $(PYTHON) -c 'import torch' 2>/dev/null; then \
	    $(PYTHON) -m venv --system-site-packages $(VENV); else $(PYTHON) -m venv $(VENV); fi; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c 'import torch' 2>/dev/null || $(PY) -m pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

install: $(VENV)/.installed ## create .venv and install piimask with everything it needs

base-model: $(BASE) ## convert the packaged MiniLM-L6 encoder into outputs/base-model (offline)
$(BASE): $(VENV)/.installed $(PKG)/pipeline/basemodel.py
	$(PY) -m piimask.pipeline.basemodel outputs/base-model

realdata: $(VENV)/.installed ## fetch a held-out English slice of ai4privacy/pii-masking-200k (needs the hub) for 05/06
	$(PY) -m piimask.cli fetch-realdata --profile $(PROFILE)

# -- the pipeline -----------------------------------------------------------------------------
# Each stage depends on its code, its inputs and a stamp of the params keys it reads
# (piimask.pipeline.stages.STAGE_KEYS). The stamp is rewritten only when those values change, so
# changing score_threshold re-runs 06 alone, and learning_rate 04-06, not 01-03.
.PHONY: FORCE
FORCE:
$(STAMPS)/%.json: FORCE | $(VENV)/.installed
	@$(STAMP) $* --profile $(PROFILE) --out $@

generate: $(RUN)/generation.json ## 01: write synthetic records (offline by default)
$(RUN)/generation.json: notebooks/01_generate.ipynb $(STAMPS)/generate.json $(GEN_SRC) $(STG_SRC) | $(VENV)/.installed
	@mkdir -p $(NBOUT)
	$(PAPERMILL) $< $(NBOUT)/01_generate.ipynb

label: $(DATA)/splits/label2id.json ## 02: quality gate, spans + BIO labels, leak-free splits
$(DATA)/splits/label2id.json: notebooks/02_label.ipynb $(RUN)/generation.json $(STAMPS)/label.json $(BASE) $(LBL_SRC) $(STG_SRC)
	$(PAPERMILL) $< $(NBOUT)/02_label.ipynb

validate: $(RUN)/validation.json ## 03: dataset report, split proof, check against the original dataset
$(RUN)/validation.json: notebooks/03_validate.ipynb $(DATA)/splits/label2id.json $(STAMPS)/validate.json $(VAL_SRC) $(STG_SRC)
	$(PAPERMILL) $< $(NBOUT)/03_validate.ipynb

finetune: $(RUN)/model/config.json ## 04: fine-tune DistilBERT for token classification (LAUNCH: where)
$(RUN)/model/config.json: notebooks/04_finetune.ipynb $(DATA)/splits/label2id.json $(STAMPS)/train.json $(TRN_SRC) $(STG_SRC)
	$(PAPERMILL) $(TRAIN_ON) $< $(NBOUT)/04_finetune.ipynb

evaluate: $(RUN)/metrics.json ## 05: per-class metrics on synthetic and real data, leak rate, errors
$(RUN)/metrics.json: notebooks/05_evaluate.ipynb $(RUN)/model/config.json $(STAMPS)/evaluate.json $(EVL_SRC) $(STG_SRC)
	$(PAPERMILL) $< $(NBOUT)/05_evaluate.ipynb

mask: $(NBOUT)/06_mask.ipynb ## 06: choose the masking threshold on real rows (model/masking.json), mask, restore
$(NBOUT)/06_mask.ipynb: notebooks/06_mask.ipynb $(RUN)/model/config.json $(STAMPS)/mask.json $(MSK_SRC) $(STG_SRC)
	$(PAPERMILL) $< $@

report: $(RUN)/reports/index.html ## render every executed notebook to HTML + an index
$(RUN)/reports/index.html: $(RUN)/validation.json $(RUN)/metrics.json $(NBOUT)/06_mask.ipynb $(PKG)/pipeline/report.py
	$(REPORT) $(RUN)

all: $(RUN)/reports/index.html ## the whole pipeline, offline, for PROFILE
	@echo "report: $(abspath $(RUN)/reports/index.html)"

# -- checks -----------------------------------------------------------------------------------
lint: $(VENV)/.installed ## ruff: lint and formatting check (`$(PY) -m ruff format .` and `--fix` repair most)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: $(VENV)/.installed $(BASE) ## run the test suite (includes every notebook on the smoke profile)
	$(PY) -m pytest -q

bench: $(VENV)/.installed $(BASE) ## measure speed against the published approaches (needs the default model)
	@test -f outputs/default/model/config.json || $(MAKE) finetune PROFILE=default
	$(PY) -m benchmarks.run

clean: ## remove the outputs of PROFILE
	rm -rf $(RUN)
