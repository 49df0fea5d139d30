"""Environment for every test, core and plugins: offline, and W&B off unless a test opts in."""

import os
import tempfile

from hypothesis import settings

os.environ["WANDB_MODE"] = "disabled"  # tests that check W&B set "offline" themselves
os.environ.setdefault("WANDB_DIR", tempfile.mkdtemp(prefix="tweetgen-wandb-"))
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# GGUF bases are converted into this cache: a fresh one per run, never the user's
os.environ.setdefault("TWEETGEN_CACHE", tempfile.mkdtemp(prefix="tweetgen-cache-"))

# CI must not go red by chance: there, hypothesis draws the same examples on every run (seeded
# from each test's source). Locally it keeps exploring new ones; raise the count with
# TWEETGEN_HYPOTHESIS_EXAMPLES to hunt harder.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
