"""Train the demo recipe (tiny base on the bundled sample) and show what it writes.

Not a test: prints wall and CPU seconds, perplexity before and after, and sampled posts, so a
change to the tiny sizes or the schedule can be judged (see RESULTS.md).

    python benchmarks/bench_recipe.py                      # the TrainConfig defaults for "tiny"
    python benchmarks/bench_recipe.py tiny.n_embd=128 epochs=6 threads=1
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tweetgen.corpus.corpus import Corpus
from tweetgen.pipeline import default_filters
from tweetgen.training.config import TrainConfig
from tweetgen.training.trainer import Trainer

SAMPLE = Path(__file__).resolve().parents[1] / "sample" / "x-archive-sample.zip"


def main() -> None:
    overrides = {k: json.loads(v) for k, v in (a.split("=", 1) for a in sys.argv[1:])}
    corpus = Corpus.from_source("x-archive", str(SAMPLE)).filter(*default_filters())
    settings = {"base_model": "tiny", "out_dir": "build/bench-recipe"} | overrides
    config = TrainConfig.from_settings(settings)
    cpu, wall = time.process_time(), time.perf_counter()
    result = Trainer(config).train(corpus)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    import torch  # after training: Trainer.train sets OMP_WAIT_POLICY before torch loads
    from transformers import AutoModelForCausalLM, AutoTokenizer

    m = result.metrics
    print(f"posts {len(corpus)}, characters {sum(map(len, corpus.texts)):,}")
    print(f"config: {overrides or 'defaults'}, torch threads {torch.get_num_threads()}")
    print(f"train_seconds {m['train_seconds']:.1f} (whole run: wall {wall:.1f} s, cpu {cpu:.1f} s)")
    print(f"steps {m['steps']:.0f}, tokens/s {m['tokens_per_second']:,.0f}")
    print(f"perplexity {m['perplexity_before']:.1f} -> {m['perplexity_after']:.1f}")
    tok = AutoTokenizer.from_pretrained(result.path)
    model = AutoModelForCausalLM.from_pretrained(result.path)
    torch.manual_seed(0)
    prompt = tok(tok.eos_token, return_tensors="pt")
    out = model.generate(
        **prompt,
        do_sample=True,
        top_p=0.95,
        max_new_tokens=40,
        num_return_sequences=5,
        pad_token_id=tok.eos_token_id,
    )
    for row in out:
        print("  >", tok.decode(row, skip_special_tokens=True).strip())


if __name__ == "__main__":
    main()
