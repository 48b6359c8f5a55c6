# gaitlab — two commands: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
DEMO_VIDEO := sample_videos/antalgic_left_side.mp4
DEMO_OUT := results/demo

.PHONY: demo test install bench validate sample dictionary clean samples validate-video

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/gaitlab analyze $(DEMO_VIDEO) --out $(DEMO_OUT) --height-cm 175
	@echo "Demo outputs are in $(DEMO_OUT)/"

# A fresh pose cache per run: real clips are analysed once per test session, shared by the workers.
test: $(STAMP)
	GAITLAB_CACHE_DIR=$$(mktemp -d) $(BIN)/python -m pytest -n 2 --dist loadfile -q -rs $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_pipeline.py $(BENCH_ARGS)

# Accuracy against truth (needs ../shared/data for motion capture): events on real motion capture, metrics on the gait model.
validate: $(STAMP)
	$(BIN)/python benchmarks/validate_mocap.py
	$(BIN)/python benchmarks/validate_model.py

sample: $(STAMP)
	$(BIN)/python -m gaitlab.synth.sample sample_videos/walk_side.mp4

# The rendered sample videos with their truth (gaitlab synth; one encoder thread: reproducible bytes).
samples: $(STAMP)
	$(BIN)/python -m gaitlab.synth.samples sample_videos

# End-to-end accuracy on rendered clips (≈ 76 clips; long on 2 cores): prints the table, writes docs/validation.md.
validate-video: $(STAMP)
	$(BIN)/gaitlab validate --workers 2

dictionary: $(STAMP)
	$(BIN)/gaitlab dictionary > docs/data_dictionary.md

clean:
	rm -rf $(VENV) results .pytest_cache *.egg-info
