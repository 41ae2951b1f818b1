#!/usr/bin/env bash
# AI-score backtest against scikit-learn: for seeds 1..SEEDS, `ondo model evaluate` on the
# X Education leads (label Converted, without the identifiers and the columns that leak
# the outcome, random stratified 80/20 split) and, on exactly the rows of Ondo's split
# (written by the hidden `--split-out`), scikit-learn's HistGradientBoostingClassifier and
# LogisticRegression as a careful data scientist would set them up
# (bench/sklearn_anchor.py). Prints each seed and the mean AUC (± standard deviation) of
# the three side by side, and Ondo's evaluate time (read, train with model selection by
# cross-validation, test).
#
# Steps: build the release binary; create a Python venv in target/bench-venv with
# scikit-learn and pandas from PyPI (once); run both per seed.
#
# Usage: bench/ai_score.sh [SEEDS]   (default 10)
# Environment: ONDO_AI_CSV (default ../shared/data/x-education/Leads.csv).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
case ${1:-} in -h | --help) usage; exit 0 ;; esac
SEEDS=${1:-10}
case $SEEDS in '' | *[!0-9]*) echo "SEEDS must be a number" >&2; exit 2 ;; esac
CSV=${ONDO_AI_CSV:-../shared/data/x-education/Leads.csv}
LABEL=Converted
EXCLUDE="Prospect ID,Lead Number,Tags,Lead Quality,Last Notable Activity,Last Activity,Lead Profile"
ONDO=${CARGO_TARGET_DIR:-target}/release/ondo
VENV=${CARGO_TARGET_DIR:-target}/bench-venv

if [ ! -f "$CSV" ]; then
    echo "$CSV not found (see ../shared/data/x-education/SOURCE.md)" >&2
    exit 1
fi

echo "building the release binary (cargo build --release -p ondo)..." >&2
cargo build --release -q -p ondo
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sklearn, pandas' 2>/dev/null; then
    echo "creating $VENV with scikit-learn and pandas (once)..." >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check scikit-learn pandas
fi
PY=$VENV/bin/python

RUN_DIR=$(mktemp -d)
trap 'rm -rf "$RUN_DIR"' EXIT
RESULTS=$RUN_DIR/results.jsonl

printf '%-5s %-8s %-9s %-9s %-8s %s\n' seed ondo skl_hgb skl_lr ondo_s model >&2
for seed in $(seq 1 "$SEEDS"); do
    start=$(date +%s.%N)
    "$ONDO" model evaluate --csv "$CSV" --label "$LABEL" --exclude "$EXCLUDE" \
        --holdout 0.2 --seed "$seed" --json --split-out "$RUN_DIR/split.json" >"$RUN_DIR/ondo.json"
    end=$(date +%s.%N)
    "$PY" bench/sklearn_anchor.py --csv "$CSV" --label "$LABEL" --exclude "$EXCLUDE" \
        --seed "$seed" --split "$RUN_DIR/split.json" >"$RUN_DIR/sklearn.json"
    "$PY" - "$RUN_DIR/ondo.json" "$RUN_DIR/sklearn.json" "$start" "$end" >>"$RESULTS" <<'EOF'
import json, sys
ondo = json.load(open(sys.argv[1]))
skl = json.load(open(sys.argv[2]))
row = {
    "seed": skl["seed"],
    "ondo": ondo["auc"],
    "hgb": skl["hgb_auc"],
    "lr": skl["lr_auc"],
    "seconds": float(sys.argv[4]) - float(sys.argv[3]),
    "model": ondo["model"],
    "cv": {c["model"]: c["cv_auc"] for c in ondo["candidates"]},
    "features": ondo["features"],
    "sklearn_seconds": skl["seconds"],
    "lr_c": skl["lr_c"],
}
assert ondo["rows_test"] == skl["rows_test"], "the same split"
print(json.dumps(row))
print(f'{row["seed"]:<5} {row["ondo"]:.4f}   {row["hgb"]:.4f}    {row["lr"]:.4f}    {row["seconds"]:.2f}     {row["model"]}', file=sys.stderr)
EOF
done

"$PY" - "$RESULTS" <<'EOF'
import json, statistics as st, sys, os
rows = [json.loads(l) for l in open(sys.argv[1])]
def cell(key):
    v = [r[key] for r in rows]
    return f"{st.mean(v):.4f} ± {st.stdev(v) if len(v) > 1 else 0:.4f}"
wins = {k: sum(r["ondo"] >= r[k] for r in rows) for k in ("hgb", "lr")}
models = {m: sum(r["model"] == m for r in rows) for m in {r["model"] for r in rows}}
print()
print(f"### AI score backtest: X Education leads, {len(rows)} seeds, same split per seed")
print()
print("| | Ondo (`ondo model evaluate`) | scikit-learn HistGradientBoosting | scikit-learn LogisticRegression (C by inner CV) |")
print("|---|---:|---:|---:|")
print(f"| mean test AUC ± std | **{cell('ondo')}** | {cell('hgb')} | {cell('lr')} |")
print(f"| seeds where Ondo ≥ | | {wins['hgb']}/{len(rows)} | {wins['lr']}/{len(rows)} |")
print(f"| time per run (s, mean) | {st.mean(r['seconds'] for r in rows):.2f} (read + select by CV + train + test) | {st.mean(r['sklearn_seconds'] for r in rows):.2f} (both sklearn fits) | |")
print()
print("Ondo's chosen model per seed: " + ", ".join(f"{m} ×{n}" for m, n in sorted(models.items())))
print("Per seed (ondo / hgb / lr): " + "; ".join(f"{r['seed']}: {r['ondo']:.4f} / {r['hgb']:.4f} / {r['lr']:.4f}" for r in rows))
EOF
echo
echo "machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), load $(cut -d' ' -f1-3 /proc/loadavg); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo +changes); $(date -I)"
