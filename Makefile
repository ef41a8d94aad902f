# pedpatterns: two commands for a newcomer, `make demo` and `make test`.
# Every dependency is installed here; nothing installed by hand is assumed.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LS_VENV := .venv-labelstudio
LS_STAMP := $(LS_VENV)/.installed

.PHONY: help install speakers labelstudio demo test bench lint clean

help:
	@echo "make demo   — установить всё и прогнать весь конвейер на учебном уроке"
	@echo "make test   — установить всё и запустить тесты"
	@echo "make bench  — замеры скорости (bench/README.md)"
	@echo "make lint   — проверка кода (ruff) и правил импорта (import-linter)"
	@echo "make speakers — поставить движок голосов (кто говорит): PyTorch для процессора и Resemblyzer"

$(PY):
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v <= (3, 12) else "Нужен Python 3.10-3.12, найден %d.%d. Укажите другой: make PYTHON=python3.11 ..." % v)'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The project itself is installed editable, so `import pedpatterns` works from any folder.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) tools/pip_check.py
	@touch $@

install: $(STAMP)

# Who speaks: Resemblyzer (default engine of --speakers) on CPU PyTorch. Resemblyzer goes in without its
# dependencies (its metadata asks for an obsolete `typing` backport and the broken `webrtcvad`);
# tools/pip_check.py is `pip check` that accepts exactly those two, substituted, requirements.
SPK_STAMP := $(VENV)/.installed-speakers
$(SPK_STAMP): requirements-speakers.txt | $(STAMP)
	$(PY) -m pip install --quiet -r requirements-speakers.txt
	$(PY) -m pip install --quiet --no-deps resemblyzer==0.1.4
	$(PY) tools/pip_check.py
	@touch $@

speakers: $(SPK_STAMP)

$(LS_STAMP): requirements-labelstudio.txt
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LS_VENV)/bin/python -m pip install --quiet -r requirements-labelstudio.txt
	@touch $@

labelstudio: $(LS_STAMP)

demo: install speakers
	$(PY) tools/demo.py

test: install labelstudio speakers
	$(PY) -m pytest

bench: install
	$(PY) bench/run_all.py

lint: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache

# processed_data/_replaced_*/ holds labelled parts a re-cut set aside: never removed here.
clean:
	find processed_data -mindepth 1 -maxdepth 1 -type d ! -name '_replaced_*' -exec rm -rf {} +
	rm -rf part_films/*.mp4 part_films/*.parts.json dataset_foto/*/ auto_labeled_dataset/*/ .locks \
	       new_videos/reports tasks.json label_queue.json image_pattern_model.h5 image_pattern_model.classes.json mlb.pkl \
	       *.metrics.json text_pattern_model.skops text_pattern_model.joblib
