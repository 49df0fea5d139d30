#!/usr/bin/env bash
# Every GPU measurement of the training engine, in one run of a few minutes (benchmarks/RESULTS.md
# holds the results). Run from the project root on the GPU machine:
#
#   prepared here, in the checkout that travels (both folders git-ignored):
#     .gpudata/archive   a copy of ../shared/corpora/x-archive-milahu104
#     .whl/              wheels the GPU image lacks (datasets, dill, multiprocess) and tweetgen's
#   then:  bash benchmarks/gpu/run_all.sh        (results and logs in $OUT)
#
# Dry run on a CPU with small sizes:
#   SHAPE=tiny LARGE=2 REFERENCE_STEPS=2 EPOCHS=1 E2E_ARGS="--epochs 1" bash benchmarks/gpu/run_all.sh
set -u
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 WANDB_MODE=disabled
OUT=${OUT:-/tmp/gpu-out}
ARCHIVE=${ARCHIVE:-.gpudata/archive}
SHAPE=${SHAPE:-gpt2-124m}
LARGE=${LARGE:-20}
REFERENCE_STEPS=${REFERENCE_STEPS:-40}
EPOCHS=${EPOCHS:-4}
E2E_ARGS=${E2E_ARGS:-}
PY=${PY:-python3}
WORK=$(mktemp -d)
mkdir -p "$OUT"
if [ -d .whl ] && ls .whl/*.whl > /dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$WORK/site" .whl/*.whl || exit 1
  export PYTHONPATH="$WORK/site"
fi
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  $PY -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'
} | tee "$OUT/log.txt"

echo "== 0. attention stays inside posts on the GPU kernels =="
timeout 45 $PY benchmarks/gpu/check_attention.py 2>&1 | grep -v -i warn | tee -a "$OUT/log.txt"

echo "== 1. bench_train: recipe, default, compiled, reference, large, large1024 =="
timeout 270 $PY benchmarks/bench_train.py --archive "$ARCHIVE" --shape "$SHAPE" \
  --rows ${ROWS:-recipe,default,compiled,reference,large,large1024} --large "$LARGE" --reference-steps "$REFERENCE_STEPS" \
  --epochs "$EPOCHS" \
  --out "$OUT/bench_train.json" 2>&1 | grep -v -i -e warn -e "Loading weights" | tee -a "$OUT/log.txt"

echo "== 2. tweetgen run x-archive, $SHAPE-shaped local base, 10 samples, timed end to end =="
$PY - "$ARCHIVE" "$WORK/base" "$SHAPE" <<'PY' 2>&1 | tail -2
import sys
sys.path.insert(0, "benchmarks")
from bench_train import build_base
from tweetgen.pipeline import prepare
texts = prepare("x-archive", sys.argv[1]).texts
build_base(texts, __import__("pathlib").Path(sys.argv[2]), sys.argv[3])
print("base built:", sys.argv[3])
PY
began=$(date +%s.%N)
timeout 120 $PY -c 'import sys; from tweetgen.cli import main; sys.argv[0] = "tweetgen"; main()' \
  run x-archive "$ARCHIVE" --out "$WORK/e2e" --base-model "$WORK/base" -n 10 $E2E_ARGS \
  > "$OUT/e2e.txt" 2>&1
code=$?
ended=$(date +%s.%N)
$PY - "$began" "$ended" "$code" "$WORK/e2e/model/tweetgen.json" "$OUT/e2e.json" <<'PY'
import json, sys
began, ended, code, info, out = sys.argv[1:]
row = {"row": "tweetgen run", "exit_code": int(code), "wall_s": round(float(ended) - float(began), 2)}
try:
    metrics = json.load(open(info))["metrics"]
    row |= {k: metrics.get(k) for k in ("train_seconds", "tokens_per_second", "steady_tokens_per_second",
                                        "perplexity_before", "perplexity_after", "steps", "compiled")}
except OSError as exc:
    row["error"] = str(exc)
print(json.dumps(row))
json.dump(row, open(out, "w"), indent=2)
PY
tail -c 2500 "$OUT/e2e.txt"

echo "== 3. where packed 124M steps lose time: blocks vs whole-model compile, own vs inferred mask =="
timeout 150 $PY benchmarks/gpu/mask_probe.py 2>&1 | grep -v -i warn | grep probe | tee -a "$OUT/log.txt"
echo "== summary =="
grep -h 'NVIDIA\|^torch\|"row"\|ratio\|"check"\|"probe"' "$OUT/log.txt" "$OUT/e2e.json" 2>/dev/null \
  | cut -c1-400
rm -rf "$WORK"
