"""Environment for every test, core and plugins: offline, and W&B off unless a test opts in."""

import os
import tempfile

os.environ["WANDB_MODE"] = "disabled"  # tests that check W&B set "offline" themselves
os.environ.setdefault("WANDB_DIR", tempfile.mkdtemp(prefix="tweetgen-wandb-"))
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
