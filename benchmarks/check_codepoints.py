"""Every code point through the array pre-tokenizer and the Rust tokenizer: same ids?

Each code point (surrogates aside) is placed in the contexts GPT-2's regex tells apart, 16 code
points to a text, and both ``tweetgen.training.pieces.PieceEncoder`` and the Rust tokenizer's
per-text encode tokenize every text. Prints the number of texts that differ (expected: 0).
Takes a few minutes (most of it asking the regex about code points Python's tables lack)::

    python benchmarks/check_codepoints.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import tokenizer_for

from tweetgen.training.pieces import PieceEncoder

PROBE = "{c}a{c}{c}1{c}!{c} {c}  {c}\n{c}'s{c}'ll{c} {c}x{c} 've {c}\t {c}{c}  {c}'{c}s'{c}"


def main() -> int:
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    texts = [
        "".join(PROBE.format(c=c) for c in chars[i : i + 16]) for i in range(0, len(chars), 16)
    ]
    backend = tokenizer_for(["it's a sample, with words 123 and 日本語 😀"] * 50).backend_tokenizer
    began = time.perf_counter()
    encoder = PieceEncoder(backend)
    parts = [encoder.encode(texts[i : i + 20_000]) for i in range(0, len(texts), 20_000)]
    print(f"array path: {time.perf_counter() - began:.0f} s")
    done = [p for p in parts if p is not None]
    ids = np.concatenate([p[0] for p in done])
    offsets = np.concatenate([[0], np.cumsum(np.concatenate([p[1] for p in done]))])
    reference = backend.encode_batch_fast(texts, add_special_tokens=False)
    differ = [
        k for k, e in enumerate(reference) if e.ids != ids[offsets[k] : offsets[k + 1]].tolist()
    ]
    print(f"{len(texts):,} texts, {len(chars):,} code points: {len(differ)} texts differ")
    for k in differ[:10]:
        print("  first code point of a differing text:", hex(ord(texts[k][0])))
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
