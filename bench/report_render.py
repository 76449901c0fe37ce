"""Size and render time of the HTML report for a 30-node, 2-minute run (no Docker needed).

Writes a synthetic run the way the recorder would (30 edge nodes plus the
control plane, generator and origin, sampled at 4 and 10 Hz, each edge
probed with 4 requests a second; an oversized push crashes 80% of the edges,
two are killed for 20 s, a rollback brings most back and three stay down, so
an invariant is violated), builds its journal with the real journal builder
and verdicts with the real invariants engine, then renders the report and
prints: file size, render time in this process (imports warm) and in a fresh
one (as `chaos report` pays it), and, when Chromium is installed, how long a
headless Chromium takes to load and screenshot it against a blank page.
Targets: under 2 MB and under 2 s.

    python bench/report_render.py [--nodes 30] [--seconds 120] [--rates 4,10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chaos.invariants import evaluate_all  # noqa: E402
from chaos.observe.timeline import Timeline  # noqa: E402
from chaos.report.command import write_outputs  # noqa: E402
from chaos.report.journal import build_journal, load_journal  # noqa: E402
from chaos.report.suite import Suite  # noqa: E402
from chaos.runner.result import RunResult  # noqa: E402
from chaos.scenario import load_scenario  # noqa: E402

SCENARIO = """\
title: Synthetic crash loop, {nodes} edges at {rate:g} Hz
seed: 1118
fleet:
  file: {root}/compose/edgefleet/compose.yaml
  replicas: {{edge: {nodes}}}
observe:
  interval: {interval}
  traffic: {{service: edge, rate: 4}}
targets:
  two: {{service: edge, select: COUNT(2)}}
steady_state:
  - {{healthy: edge, at_least: 1.0}}
steps:
  - id: push-oversized
    action: push
    with: {{features: 400}}
  - id: kill-two
    fault: {{kind: kill, target: two}}
    heal: rollback
  - id: crash-loop
    wait: {{for: 30}}
  - id: rollback
    action: rollback
  - id: recover
    wait: {{until: {{healthy: edge, at_least: 0.95}}, timeout: 50}}
invariants:
  - name: rollback-converges
    eventually: {{healthy: edge, at_least: 0.95}}
    within: 50
    after: rollback
  - name: no-wrong-results
    never: {{wrong_results: edge, above: 0, window: 5}}
"""

ENVIRONMENT = {"harness": "bench", "python": "3", "platform": "synthetic", "docker": None, "base_image": None,
               "images": {}}


def synthesize(folder: Path, *, nodes: int, seconds: float, rate: float) -> Path:
    """Scenario file, timeline and journal of a synthetic run in `folder`; returns the journal's path."""
    interval = 1 / rate
    scenario_path = folder / f"synthetic-{rate:g}hz.yaml"
    scenario_path.write_text(SCENARIO.format(nodes=nodes, rate=rate, interval=interval, root=ROOT))
    scenario = load_scenario(scenario_path)
    rng = random.Random(1118)
    edges = [f"edge-{i}" for i in range(1, nodes + 1)]
    crashing = set(rng.sample(edges, int(nodes * 0.8)))
    stuck = set(rng.sample(sorted(crashing), 3))
    killed = edges[:2]
    push, kill, rollback, heal = 10.0, 20.0, 50.0, 40.0
    timeline_path = folder / f"synthetic-{rate:g}hz-bench.timeline.jsonl"
    marks = [(0.1, "steady_state", {"phase": "before", "baseline": {"edge": 1, "controlplane": 1}}),
             (push, "step_started", {"step": "push-oversized"}),
             (push + 0.01, "action", {"step": "push-oversized", "action": "push", "status": 200}),
             (push + 0.02, "step_finished", {"step": "push-oversized"}), (kill, "step_started", {"step": "kill-two"}),
             (kill + 0.01, "fault_applied", {"step": "kill-two", "fault": "kill", "nodes": killed}),
             (kill + 0.02, "step_finished", {"step": "kill-two"}), (kill + 0.03, "step_started", {"step": "crash-loop"}),
             (heal, "fault_healed", {"step": "kill-two", "fault": "kill", "nodes": killed}),
             (rollback - 0.1, "step_finished", {"step": "crash-loop"}), (rollback, "step_started", {"step": "rollback"}),
             (rollback + 0.01, "action", {"step": "rollback", "action": "rollback", "status": 200}),
             (rollback + 0.02, "step_finished", {"step": "rollback"}), (rollback + 0.03, "step_started", {"step": "recover"}),
             (rollback + 50.03, "wait_timed_out", {"step": "recover"}),
             (rollback + 50.03, "step_finished", {"step": "recover"})]
    events = iter(marks)
    pending = next(events, None)
    restarts = dict.fromkeys(edges, 0)
    # Not hash(node): string hashes change with every interpreter, and the synthetic run must not.
    offset = {node: i % 5 for i, node in enumerate(edges)}
    with Timeline(timeline_path, clock=lambda: 0.0) as timeline:
        timeline.event("run_started", t=0.0, seed=1118, run_id="bench",
                       nodes={"controlplane": ["controlplane-1"], "generator": ["generator-1"],
                              "origin": ["origin-1"], "edge": edges}, targets={"two": killed})
        t = 0.0
        next_request = dict.fromkeys(edges, 0.0)
        while t < seconds:
            t = round(t + interval, 4)
            while pending is not None and pending[0] <= t:
                timeline.event(pending[1], t=pending[0], **pending[2])
                pending = next(events, None)
            for node, service in (("controlplane-1", "controlplane"), ("generator-1", "generator"),
                                  ("origin-1", "origin")):
                timeline.sample(node, service=service, healthy=True, version=1 if node == "controlplane-1" else None,
                                t=t)
            for node in edges:
                recovering = rollback + 3 + rng.random() * 10
                looping = node in crashing and push + 0.5 < t < (seconds + 1 if node in stuck else recovering)
                dead = node in killed and kill < t < heal
                phase = (t * 7 + offset[node]) % 5
                container = "exited" if dead else ("restarting" if looping and phase < 2 else "running")
                healthy = container == "running" and not looping
                if looping and phase < 0.2:
                    restarts[node] += 1
                timeline.sample(node, service="edge", container=container, healthy=healthy,
                                version=1 if healthy else None, restarts=restarts[node], t=t)
                while next_request[node] <= t:
                    at = next_request[node]
                    next_request[node] += 0.25
                    wrong = node in crashing and push < at < push + 0.5 + rng.random()
                    timeline.traffic(node, service="edge", ok=healthy, status=200 if healthy else None,
                                     latency=(0.01 + rng.random() * 0.03 + (0.2 if looping else 0)) if healthy else None,
                                     wrong=wrong and healthy, t=max(at, t - interval))
        timeline.event("run_finished", t=seconds)
    result = RunResult(scenario, "bench", 1118, timeline=timeline_path, duration=seconds + 15)
    result.verdicts = evaluate_all(list(scenario.invariants), Timeline.load(timeline_path))
    journal = folder / f"synthetic-{rate:g}hz-bench.journal.json"
    journal.write_text(json.dumps(build_journal(result, env=ENVIRONMENT, journal_dir=folder), indent=2) + "\n")
    return journal


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def render_here(journal: Path, out: Path) -> tuple[float, float]:
    wall, used = time.perf_counter(), cpu()
    write_outputs(Suite([load_journal(journal)]), report=out)
    return time.perf_counter() - wall, cpu() - used


def render_fresh(journal: Path, out: Path) -> float:
    code = ("import sys; from chaos.report.command import write_outputs; from chaos.report.journal import load_journal;"
            " from chaos.report.suite import Suite; write_outputs(Suite([load_journal(sys.argv[1])]), report=sys.argv[2])")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(journal), str(out)], check=True, cwd=ROOT)
    return time.perf_counter() - started


def chromium_load(page: Path, shot: Path) -> float | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return None
    started = time.perf_counter()
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1400,2000", page.as_uri()], capture_output=True, timeout=120, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--rates", default="4,10", help="sampling rates in Hz, comma-separated")
    parser.add_argument("--keep", type=Path, help="keep the synthetic runs and reports in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="chaos-bench-report-"))
    folder.mkdir(parents=True, exist_ok=True)
    blank = folder / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    print(f"{args.nodes} edge nodes + 3, {args.seconds:.0f} s, 4 requests/s per edge; targets: < 2 MB, < 2 s")
    print(f"{'rate':>5} {'records':>8} {'timeline':>9} {'report':>8} {'render':>7} {'cpu':>6} {'fresh':>6} "
          f"{'chromium':>9} {'blank':>6}")
    try:
        for rate in (float(r) for r in args.rates.split(",")):
            journal = synthesize(folder, nodes=args.nodes, seconds=args.seconds, rate=rate)
            loaded = load_journal(journal)
            records = loaded.data["timeline"]["records"]
            out = folder / f"report-{rate:g}hz.html"
            render_here(journal, out)  # warm the imports and matplotlib's font cache
            wall, used = render_here(journal, out)
            fresh = render_fresh(journal, out)
            size = out.stat().st_size
            timeline_mb = loaded.timeline_path.stat().st_size / 1e6
            load = chromium_load(out, folder / f"report-{rate:g}hz.png")
            base = chromium_load(blank, folder / "blank.png")
            browser = "-" if load is None else f"{load:8.2f}s"
            empty = "-" if base is None else f"{base:5.2f}s"
            print(f"{rate:4g}Hz {records:>8} {timeline_mb:7.1f}MB {size / 1e6:6.2f}MB {wall:6.2f}s {used:5.2f}s "
                  f"{fresh:5.2f}s {browser:>9} {empty:>6}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept in {folder}")
    print("render: load journal + timeline, bin, draw, write (warm); fresh: the same in a new interpreter;\n"
          "chromium: headless load and screenshot of the report; blank: the same for an empty page")


if __name__ == "__main__":
    main()
