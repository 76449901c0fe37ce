"""Synthetic runs for the report tests: a scenario file, a timeline the recorder could have written, real verdicts.

No Docker: the timeline is written record by record with explicit times, the
verdicts come from the real invariants engine, and the journal from the real
journal builder, so the reports are tested on what a run would leave.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from chaos.invariants import evaluate_all
from chaos.observe.timeline import Timeline
from chaos.report.journal import JOURNAL_SUFFIX, build_journal, load_journal
from chaos.runner.result import RunResult
from chaos.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[3]

SCENARIO = """\
title: {title}
description: A crash loop after an oversized push; two nodes are also killed and healed.
seed: 7
expect: {expect}
fleet:
  file: {root}/compose/edgefleet/compose.yaml
  replicas: {{edge: {edges}}}
observe:
  interval: 0.25
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
  - id: rollback
    action: rollback
  - id: recover
    wait: {{until: {{healthy: edge, at_least: 0.95}}, timeout: 10}}
invariants:
  - name: rollback-converges
    eventually: {{healthy: edge, at_least: 0.95}}
    within: 10
    after: rollback
  - name: control-plane-up
    always: {{healthy: controlplane, at_least: 1.0}}
"""

ENVIRONMENT = {
    "harness": "0.1.0", "python": "3.11.7", "platform": "Linux", "docker": "24.0.0",
    "base_image": {"ref": "chaos-fleet/base:bookworm-python3", "id": "sha256:base"},
    "images": {"edge": {"ref": "chaos-fleet/edgefleet-edgefleet:0123456789ab", "id": "sha256:edge"}},
}


def write_scenario(folder: Path, *, name: str = "crash-loop", title: str = "Crash loop and recovery",
                   expect: str = "hold", edges: int = 4) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SCENARIO.format(title=title, expect=expect, root=ROOT, edges=edges))
    return path


def record_run(path: Path, *, edges: int = 4, end: float = 20.0, recovers: bool = True, hz: float = 4.0,
               seed: int = 0) -> None:
    """A timeline file of the scenario's steps: push at 2 s crashes most edges, rollback at 8 s, recovery by ~10 s
    (or never, when `recovers` is false); edge-1 and edge-2 are killed from 4 s to 8 s."""
    rng = random.Random(seed)
    nodes = [f"edge-{i}" for i in range(1, edges + 1)]
    crashing = set(nodes[: max(1, int(edges * 0.75))])
    killed = nodes[:2]
    with Timeline(path, clock=lambda: 0.0) as timeline:
        timeline.event("run_started", t=0.0, nodes={"controlplane": ["controlplane-1"], "edge": nodes},
                       targets={"two": killed}, seed=7, run_id="r1")
        marks = [(0.1, "step_started", {"step": "@steady-before"}), (0.3, "step_finished", {"step": "@steady-before"}),
                 (0.3, "steady_state", {"phase": "before", "baseline": {"edge": 1}}),
                 (2.0, "step_started", {"step": "push-oversized"}),
                 (2.01, "action", {"step": "push-oversized", "action": "push", "status": 200}),
                 (2.02, "step_finished", {"step": "push-oversized"}), (4.0, "step_started", {"step": "kill-two"}),
                 (4.01, "fault_applied", {"step": "kill-two", "fault": "kill", "nodes": killed}),
                 (4.02, "step_finished", {"step": "kill-two"}),
                 (8.0, "fault_healed", {"step": "kill-two", "fault": "kill", "nodes": killed}),
                 (8.0, "step_started", {"step": "rollback"}),
                 (8.01, "action", {"step": "rollback", "action": "rollback", "status": 200}),
                 (8.02, "step_finished", {"step": "rollback"}), (8.03, "step_started", {"step": "recover"})]
        if recovers:
            marks.append((11.0, "step_finished", {"step": "recover"}))
        else:
            marks += [(18.03, "wait_timed_out", {"step": "recover"}), (18.03, "step_finished", {"step": "recover"})]
        ticks = [round(i / hz, 3) for i in range(1, int(end * hz) + 1)]
        events = iter(sorted(marks, key=lambda m: m[0]))
        pending = next(events, None)
        for t in ticks:
            while pending is not None and pending[0] <= t:
                timeline.event(pending[1], t=pending[0], **pending[2])
                pending = next(events, None)
            timeline.sample("controlplane-1", service="controlplane", healthy=True, version=1, t=t)
            for node in nodes:
                down = (node in crashing and 2.5 <= t < (10.0 if recovers else end + 1)) or (
                    node in killed and 4.0 <= t < 8.5)
                container = "exited" if node in killed and 4.0 <= t < 8.5 else ("restarting" if down else "running")
                timeline.sample(node, service="edge", container=container, healthy=not down,
                                version=None if down else 1, t=t)
                timeline.traffic(node, service="edge", ok=not down, status=None if down else 200,
                                 latency=None if down else 0.02 + rng.random() * 0.03, t=t + 0.01)
        timeline.event("run_finished", t=end)


def make_run(folder: Path, *, name: str = "crash-loop", expect: str = "hold", recovers: bool = True,
             edges: int = 4, title: str = "Crash loop and recovery", timeline_folder: Path | None = None) -> RunResult:
    """A finished RunResult with real verdicts and a journal written next to its timeline."""
    scenario = load_scenario(write_scenario(folder, name=name, expect=expect, edges=edges, title=title))
    timeline_path = (timeline_folder or folder) / f"{name}-r1.timeline.jsonl"
    record_run(timeline_path, edges=edges, recovers=recovers)
    result = RunResult(scenario, "r1", 7, timeline=timeline_path, duration=25.0)
    result.verdicts = evaluate_all(list(scenario.invariants), Timeline.load(timeline_path))
    data = build_journal(result, env=ENVIRONMENT, journal_dir=folder)
    result.journal = folder / f"{name}-r1{JOURNAL_SUFFIX}"
    result.journal.write_text(json.dumps(data, indent=2) + "\n")
    return result


def journal_of(result: RunResult):
    assert result.journal is not None
    return load_journal(result.journal)
