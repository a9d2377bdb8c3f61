#!/usr/bin/env bash
# Run the benchmarks under bench/ (each bench/<name>/run.py prints its own table of ratios against a
# baseline measured in the same run). usage: tools/bench.sh [name ...]   (default: all)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH=$ROOT/.venv/bin:$PATH
export ANSIBLE_COLLECTIONS_PATH
ANSIBLE_COLLECTIONS_PATH=$(dirname "$(dirname "$(dirname "$("$ROOT/tools/sync-collection.sh")")")")
NAMES=("$@")
if [ ${#NAMES[@]} -eq 0 ]; then
  for f in bench/*/run.py; do NAMES+=("$(basename "$(dirname "$f")")"); done
fi
for n in "${NAMES[@]}"; do
  echo "== bench/$n"
  python "bench/$n/run.py"
done
