"""The state machine against a simulated fleet: it finds the quorum rollback trap and shrinks it to two moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuzz_scenarios import EDGEFLEET, scenario

from chaos.fleet.compose import load_fleet
from chaos.fuzz.machine import MachineRun
from chaos.fuzz.plan import make_plan
from chaos.fuzz.profiles import FuzzConfig
from chaos.invariants.verdict import Verdict
from chaos.progress import SILENT

QUORUM = f"""\
title: quorum steps
seed: 11
expect: violation
fleet:
  file: {EDGEFLEET}
  replicas: {{edge: 3}}
steps:
  - id: push
    action: push
    with: {{features: 10}}
  - id: rollback
    action: rollback
  - id: restart
    fault: {{kind: restart, target: edge}}
invariants:
  - name: rollback-converges
    eventually: {{healthy: edge, on_version: baseline, at_least: 0.95}}
    within: 6
    after: rollback
fuzz:
  strategy: fleet_steps
  bounds: {{counts: boundaries, vary: [], max_steps: 3}}
  max_examples: 100
  settle: 0.6
"""


@dataclass
class FakeWindow:
    invariants: list[Any]


@dataclass
class QuorumFleet:
    """Panic edges and a quorum rollback, simulated: a rollback after a file over 200 rows never converges."""

    limit: int = 200
    bad: bool = False
    moves: list[str] = field(default_factory=list)
    resets: int = 0
    applied: list[str] = field(default_factory=list)
    nodes: dict[str, list[str]] = field(default_factory=lambda: {"edge": ["edge-1", "edge-2", "edge-3"]})

    def ensure_steady(self) -> None:
        self.resets += 1
        self.bad = False

    def open_window(self, invariants: list[Any]) -> FakeWindow:
        return FakeWindow(list(invariants))

    def fault_nodes(self, step: Any) -> list[str]:
        return self.nodes["edge"]

    def run_step(self, step: Any, *, body: bytes | None = None, nodes: Any = None, window: Any = None,
                 **_: Any) -> None:
        self.moves.append(step.id)
        self.applied = list(nodes or [])
        if step.action == "push":
            import json

            self.bad = len(json.loads(body or b"{}")["features"]) > self.limit
        self.last = step.action

    def watch(self, window: FakeWindow, *, settle: float) -> list[Verdict]:
        verdicts = []
        for invariant in window.invariants:
            held = not (self.last == "rollback" and self.bad)
            verdicts.append(Verdict(invariant.name, held, "", f"{invariant.name}: {'held' if held else 'VIOLATED'}"))
        return verdicts

    def note_if_steady(self, *, held: bool) -> None:
        pass


def test_the_machine_finds_the_quorum_trap_and_shrinks_it_to_push_then_rollback(tmp_path: Path) -> None:
    s = scenario(QUORUM, tmp_path)
    plan = make_plan(s, load_fleet(s.fleet.file))
    config = FuzzConfig("default", 100, 11, None, b"chaos-fuzz/quorum", None)
    fleet = QuorumFleet()
    run = MachineRun(fleet, plan, config, progress=SILENT)  # type: ignore[arg-type]
    found, flaky = run.search()
    assert found is not None and flaky is None
    assert [m.id for m in found.moves] == ["push-1", "rollback-2"]
    assert found.moves[0].spec is not None and found.moves[0].spec.rows == 201
    assert found.description == "push a file of 201 rows -> rollback"
    assert any(not e.held for e in run.examples) and fleet.resets == len(run.examples)


def test_rollbacks_wait_for_a_push_and_move_names_are_python_names(tmp_path: Path) -> None:
    s = scenario(QUORUM.replace("id: restart", "id: restart-node"), tmp_path)
    plan = make_plan(s, load_fleet(s.fleet.file))
    run = MachineRun(QuorumFleet(), plan, FuzzConfig("default", 5, 1, None, b"k", None),  # type: ignore[arg-type]
                     progress=SILENT)
    machine = run.machine()
    assert {"push", "rollback", "restart_node", "steady_state"} <= set(vars(machine))
    run.search()
    for example in run.examples:
        moves = example.description.split(" -> ")
        assert moves[0] != "rollback"
