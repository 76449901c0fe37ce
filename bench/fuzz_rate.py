"""Seconds per fuzz example on a warm fleet, for examples that leave the nodes healthy and for ones that crash them.

One fleet (5 edge nodes in panic mode, limit 200, plus the control plane,
the origin and the link proxy) stays up for the whole benchmark, as it does
for a fuzz run. Each example goes through the fuzzer's own path: put the
fleet back into its steady state, push the file, watch the settle time (cut
short when an invariant breaks), decide the invariants. An example's time
runs from the start of its reset to the end of its watch, so a crashing
example pays for the reset that its crash makes necessary (that reset
happens at the start of the next example; the bench charges it to the
crashing one by timing crash examples back to back). Targets: healthy
<= 1 s, crashing <= 3 s (medians).

    python bench/fuzz_rate.py [--examples 20] [--edges 5] [--settle 0.7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chaos.fleet.docker_client import connect  # noqa: E402
from chaos.fleet.fleet import Fleet  # noqa: E402
from chaos.fleet.images import ensure_images  # noqa: E402
from chaos.fuzz.feature_spec import FeatureFileSpec  # noqa: E402
from chaos.fuzz.live_property import PropertyRun  # noqa: E402
from chaos.fuzz.profiles import fuzz_config  # noqa: E402
from chaos.fuzz.run import prepare_fuzz  # noqa: E402
from chaos.fuzz.session import LiveSession  # noqa: E402
from chaos.progress import Progress  # noqa: E402
from chaos.scenario import load_scenario  # noqa: E402

SCENARIO = """
title: fuzz rate bench
fleet:
  file: {root}/compose/edgefleet/compose.yaml
  replicas: {{edge: {edges}, generator: 0}}
  environment:
    edge: {{EDGE_MODE: panic, FEATURE_LIMIT: 200, FETCH_INTERVAL: 0.2}}
observe:
  interval: 0.1
steady_state:
  - {{healthy: edge, at_least: 1.0}}
steps:
  - id: push
    action: push
    with: {{features: 10}}
invariants:
  - name: edges-stay-up
    always: {{healthy: edge, at_least: 1.0}}
  - name: no-restarts
    never: {{restarts: edge, above: 0}}
fuzz:
  strategy: feature_files
  settle: {settle}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=20, help="examples of each kind (default 20)")
    parser.add_argument("--edges", type=int, default=5, help="edge nodes (default 5)")
    parser.add_argument("--settle", type=float, default=0.7, help="seconds watched after a push (default 0.7)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="fuzz-rate-"))
    path = folder / "bench.yaml"
    path.write_text(SCENARIO.format(root=ROOT, edges=args.edges, settle=args.settle))
    scenario = load_scenario(path)
    spec, plan = prepare_fuzz(scenario)
    config = fuzz_config(scenario, examples=args.examples)
    client = connect()
    images = ensure_images(client, spec, progress=Progress())
    fleet = Fleet(spec, client=client, images=images)
    times: dict[str, list[float]] = {"healthy": [], "crashing": []}
    try:
        started = time.perf_counter()
        fleet.up(deadline=120)
        print(f"fleet of {len(fleet.nodes)} nodes ({args.edges} edges) up in {time.perf_counter() - started:.1f}s")
        session = LiveSession(scenario, spec, fleet, timeline_path=folder / "bench.timeline.jsonl")
        session.start()
        run = PropertyRun(session, plan, config, progress=Progress(quiet=True))
        # Distinct files (the fuzzer never pushes the same bytes twice): row counts walk up from a base.
        for kind, base in (("healthy", 100), ("crashing", 201)):
            for index in range(args.examples):
                outcome = run.push(FeatureFileSpec(base + index), budgeted=False)
                times[kind].append(outcome.seconds)
                if outcome.held != (kind == "healthy"):
                    print(f"warning: a {kind} example {'held' if outcome.held else 'failed'}: "
                          f"{outcome.description}", file=sys.stderr)
            # The crash examples' last reset is charged to nothing: pay it here, outside the timing.
            session.ensure_steady()
        session.stop()
        print(f"resets: {session.resets.by_kind}")
    finally:
        fleet.down()
    targets = {"healthy": 1.0, "crashing": 3.0}
    for kind, values in times.items():
        median = statistics.median(values)
        p90 = sorted(values)[int(0.9 * (len(values) - 1))]
        verdict = "meets" if median <= targets[kind] else "MISSES"
        print(f"{kind:<9} examples: median {median:.2f}s  p90 {p90:.2f}s  min {min(values):.2f}s  "
              f"max {max(values):.2f}s  (n={len(values)}; target <= {targets[kind]:g}s: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
