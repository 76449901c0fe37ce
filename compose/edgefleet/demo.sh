#!/usr/bin/env bash
# The 18 November 2025 story on the reference fleet, by hand: ten edge nodes
# in `panic` mode, a feature file twice the limit, the restart loop, the
# rollback, recovery, teardown. The fleet comes down however this ends.
set -euo pipefail
cd "$(dirname "$0")/../.."

run="demo$(date +%s)"
trap 'chaos fleet down --run "$run" >/dev/null 2>&1 || true' EXIT

chaos images build compose/edgefleet
chaos fleet up compose/edgefleet --scale edge=10 --env edge:EDGE_MODE=panic --run-id "$run"

echo; echo "== push a feature file of 400 features (the edge limit is 200)"
chaos fleet push --features 400 --run "$run"
for _ in 1 2 3; do
  sleep 4
  echo; echo "== $(date +%T): the edge nodes crash, restart, fetch the same file, crash again"
  chaos fleet status --run "$run"
done

echo; echo "== roll back to the last known good version while the nodes loop"
chaos fleet rollback --run "$run"
for _ in $(seq 1 45); do
  sleep 2
  status=$(chaos fleet status --run "$run")
  if ! grep -q " down " <<<"$status"; then
    echo "$status"; echo; echo "== every node is back on the known good version"
    exit 0
  fi
done
echo "$status"
echo "demo: the fleet did not recover within 90 s of the rollback" >&2
exit 1
