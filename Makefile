# piimask: the pipeline as a DAG of files. `make help` lists the targets.
# PROFILE picks params/<PROFILE>.yaml (stacked on params/base.yaml); outputs go to outputs/<PROFILE>/.
PROFILE ?= default
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
RUN     := outputs/$(PROFILE)
DATA    := $(RUN)/data
NBOUT   := $(RUN)/notebooks
PKG     := src/piimask
GEN_SRC := $(wildcard $(PKG)/generate/*.py $(PKG)/data/*.* $(PKG)/data/fragments/*.* $(PKG)/data/fragments/*/*) \
           $(PKG)/values.py $(PKG)/locale_values.py $(PKG)/languages.py $(PKG)/fill.py $(PKG)/config.py
LBL_SRC := $(PKG)/validate.py $(PKG)/dataset.py $(PKG)/label.py $(PKG)/recognizers.py
TRN_SRC := $(PKG)/train.py $(wildcard $(PKG)/metrics/*.py)
EVL_SRC := $(PKG)/evaluate.py $(PKG)/predict.py
PARAMS  := params/base.yaml params/$(PROFILE).yaml
BASE    := outputs/base-model/config.json
PAPERMILL = $(PY) -m papermill --cwd notebooks -k python3 -p profile $(PROFILE) --log-level WARNING

.DEFAULT_GOAL := help
.PHONY: help install all generate label validate finetune evaluate report mask base-model test bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  PROFILE=$(PROFILE) (default, smoke, multilingual, bedrock, bedrock-batch, full)"

# -- environment ------------------------------------------------------------------------------
# torch is installed first and on its own: here the CPU wheel torch==2.13.0; where a torch is
# already installed (Kaggle, SageMaker) the venv sees it and keeps it. Never a CUDA build here.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || { if $(PYTHON) -c 'import torch' 2>/dev/null; then \
	    $(PYTHON) -m venv --system-site-packages $(VENV); else $(PYTHON) -m venv $(VENV); fi; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c 'import torch' 2>/dev/null || $(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

install: $(VENV)/.installed ## create .venv and install piimask with everything it needs

base-model: $(BASE) ## convert the packaged MiniLM-L6 encoder into outputs/base-model (offline)
$(BASE): $(VENV)/.installed src/piimask/basemodel.py
	$(PY) -m piimask.basemodel outputs/base-model

# -- the pipeline -----------------------------------------------------------------------------
generate: $(DATA)/generated.jsonl ## 01: write synthetic records (offline by default)
$(DATA)/generated.jsonl: notebooks/01_generate.ipynb $(PARAMS) $(GEN_SRC) | $(VENV)/.installed
	@mkdir -p $(NBOUT)
	$(PAPERMILL) $< $(NBOUT)/01_generate.ipynb
	@touch $@

label: $(DATA)/splits/label2id.json ## 02: quality gate, spans + BIO labels, leak-free splits
$(DATA)/splits/label2id.json: notebooks/02_label.ipynb $(DATA)/generated.jsonl $(BASE) $(LBL_SRC)
	$(PAPERMILL) $< $(NBOUT)/02_label.ipynb

validate: $(RUN)/validation.json ## 03: dataset report, split proof, check against the original dataset
$(RUN)/validation.json: notebooks/03_validate.ipynb $(DATA)/splits/label2id.json $(PKG)/realism.py
	$(PAPERMILL) $< $(NBOUT)/03_validate.ipynb

finetune: $(RUN)/model/config.json ## 04: fine-tune DistilBERT for token classification
$(RUN)/model/config.json: notebooks/04_finetune.ipynb $(RUN)/validation.json $(TRN_SRC)
	$(PAPERMILL) $< $(NBOUT)/04_finetune.ipynb

evaluate: $(RUN)/metrics.json ## 05: per-class metrics on synthetic and real data, leak rate, errors
$(RUN)/metrics.json: notebooks/05_evaluate.ipynb $(RUN)/model/config.json $(EVL_SRC)
	$(PAPERMILL) $< $(NBOUT)/05_evaluate.ipynb

mask: $(NBOUT)/06_mask.ipynb ## 06: choose the masking threshold on real rows (model/masking.json), mask, restore
$(NBOUT)/06_mask.ipynb: notebooks/06_mask.ipynb $(RUN)/model/config.json $(PKG)/mask.py $(PKG)/recognizers.py $(EVL_SRC)
	$(PAPERMILL) $< $@

report: $(RUN)/reports/index.html ## render every executed notebook to HTML + an index
$(RUN)/reports/index.html: $(RUN)/metrics.json $(NBOUT)/06_mask.ipynb $(PKG)/report.py
	$(PY) -m piimask.report $(RUN)

all: $(RUN)/reports/index.html ## the whole pipeline, offline, for PROFILE
	@echo "report: $(abspath $(RUN)/reports/index.html)"

# -- checks -----------------------------------------------------------------------------------
test: $(VENV)/.installed $(BASE) ## run the test suite (includes every notebook on the smoke profile)
	$(PY) -m pytest -q

bench: $(VENV)/.installed $(BASE) ## measure speed against the published approaches (needs the default model)
	@test -f outputs/default/model/config.json || $(MAKE) finetune PROFILE=default
	$(PY) -m benchmarks.run

clean: ## remove the outputs of PROFILE
	rm -rf $(RUN)
