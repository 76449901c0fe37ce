"""The recorder's achieved sampling interval at 10 Hz, for 10 and 30 edge nodes.

Brings up the reference fleet (guarded edges, traffic probe off so only
sampling is measured), records for a fixed time, and prints the p50 and p99
of the gaps between two samples of the same node, against the set interval.

    python bench/recorder.py [--seconds 20] [--sizes 10,30] [--interval 0.1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chaos.fleet.compose import load_fleet  # noqa: E402
from chaos.fleet.docker_client import connect  # noqa: E402
from chaos.fleet.fleet import Fleet  # noqa: E402
from chaos.fleet.images import ensure_images  # noqa: E402
from chaos.observe.recorder import Recorder, percentile  # noqa: E402
from chaos.observe.timeline import Timeline  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--sizes", default="10,30")
    parser.add_argument("--interval", type=float, default=0.1)
    args = parser.parse_args()
    client = connect()
    base = load_fleet(ROOT / "compose" / "edgefleet")
    images = ensure_images(client, base)
    print(f"set interval {args.interval * 1000:.0f} ms, {args.seconds:.0f} s per size")
    print(f"{'edges':>5} {'nodes':>5} {'samples':>8} {'p50 ms':>7} {'p99 ms':>7} {'p99/set':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        with Fleet(base.with_overrides(replicas={"edge": size}), client=client, images=images) as fleet:
            fleet.up()
            timeline = Timeline()
            with Recorder(fleet, timeline, interval=args.interval) as recorder:
                time.sleep(args.seconds)
            gaps = recorder.achieved_intervals()
        p50, p99 = percentile(gaps, 0.5), percentile(gaps, 0.99)
        print(f"{size:>5} {len(fleet.nodes):>5} {len(timeline.of_kind('sample')):>8} {p50 * 1000:>7.1f} "
              f"{p99 * 1000:>7.1f} {p99 / args.interval:>8.2f}")
    print("target: p99 within 1.2x of the set interval")


if __name__ == "__main__":
    main()
