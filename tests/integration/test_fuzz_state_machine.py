"""The state machine finds the quorum rollback trap, as a scenario `chaos run` reproduces; every move works."""

from __future__ import annotations

import json
from pathlib import Path

from fuzz_support import journals, run, write_scenario

from chaos.fleet.fleet import Fleet
from chaos.fuzz.feature_spec import FeatureFileSpec
from chaos.fuzz.machine import MachineRun
from chaos.fuzz.profiles import fuzz_config
from chaos.fuzz.run import prepare_fuzz
from chaos.fuzz.session import LiveSession
from chaos.progress import SILENT
from chaos.scenario import load_scenario

# Panic edges, and a control plane whose rollback waits for a majority of edges to acknowledge it: only
# serving nodes acknowledge, so after a file that crashes them all the rollback never completes.
QUORUM = """\
title: rollback under a quorum, fuzzed
seed: 22
expect: violation
fleet:
  file: {fleet}
  replicas: {edge: 3, generator: 0}
  environment:
    edge: {EDGE_MODE: panic, FEATURE_LIMIT: 200, FETCH_INTERVAL: 0.2}
    controlplane: {ROLLBACK_MODE: quorum}
steady_state:
  - {healthy: edge, at_least: 1.0}
steps:
  - id: push
    action: push
    with: {features: 10}
  - id: rollback
    action: rollback
  - id: restart
    fault: {kind: restart, target: edge}
invariants:
  - name: rollback-converges
    eventually: {healthy: edge, on_version: baseline, at_least: 0.95}
    within: 6
    after: rollback
fuzz:
  strategy: fleet_steps
  bounds: {counts: boundaries, vary: [], max_steps: 3}
  max_examples: 40
  settle: 0.6
"""


def test_the_state_machine_finds_the_quorum_trap_and_its_scenario_file_reproduces_it(tmp_path: Path,
                                                                                      edgefleet_images,
                                                                                      leftovers) -> None:
    path = write_scenario(tmp_path, "quorum.yaml", QUORUM)
    runs = tmp_path / "runs"
    # The ci profile: at most 10 sequences, and a bounded shrink.
    result = run("chaos.fuzz", str(path), "--profile", "ci", "--journal-dir", str(runs))
    assert result.returncode == 1, result.stdout + result.stderr[-4000:]
    [journal] = journals(runs)
    [finding] = journal["examples"]
    # The shortest sequence: a file over the limit, then the rollback that never converges.
    assert [line.split(": ", 1)[0] for line in finding["steps"][:2]] == ["push-1", "rollback-2"]
    assert finding["description"].startswith("push a file of ") and finding["description"].endswith(" -> rollback")
    rows = int(finding["description"].split("push a file of ")[1].split(" rows")[0])
    assert rows > 200
    assert finding["violated"] == ["rollback-converges"]
    # Printed as a scenario file, with the steps in the scenario format.
    replay = Path(finding["replay_scenario"])
    assert f"as a scenario file ({replay}):" in result.stderr and "    - {id: push-1, action: push" in result.stderr
    scenario = load_scenario(replay)
    assert [s.id for s in scenario.steps] == ["push-1", "watch-1", "rollback-2", "watch-2"]
    assert scenario.invariants[0].after == "rollback-2" and scenario.fuzz is None
    assert leftovers(journal["run_id"]) == []

    replayed = run("chaos", "run", str(replay), "--journal-dir", str(tmp_path / "replayed"))
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr[-3000:]
    assert f"{replay}:" in replayed.stderr and "invariant 'rollback-converges' violated" in replayed.stderr
    [again] = journals(tmp_path / "replayed")
    assert [v["invariant"] for v in again["verdicts"] if not v["held"]] == ["rollback-converges"]
    assert leftovers(again["run_id"]) == []


# Guarded edges and a direct rollback: every move the machine has, on a fleet with links.
EVERY_MOVE = """\
title: guarded edges under every move
seed: 5
fleet:
  file: {fleet}
  replicas: {edge: 3, generator: 0}
  environment:
    edge: {EDGE_MODE: guarded, FEATURE_LIMIT: 200, FETCH_INTERVAL: 0.2}
observe:
  traffic: {service: edge, rate: 4}
targets:
  one-edge: {service: edge, select: COUNT(1)}
steady_state:
  - {healthy: edge, at_least: 1.0}
steps:
  - id: push
    action: push
    with: {features: 10}
  - id: rollback
    action: rollback
  - id: kill
    fault: {kind: kill, target: one-edge}
    heal: heal
  - id: restart
    fault: {kind: restart, target: edge}
  - id: cut-control-plane
    fault: {kind: control_plane_unreachable, target: edge, link: controlplane}
    heal: heal
  - id: slow-links
    fault: {kind: latency, target: edge, link: controlplane, params: {latency: 300}}
    heal: heal
  - id: heal
    wait: {for: 0.2}
invariants:
  - name: most-keep-serving
    always: {serving: edge, at_least: 0.6}
  - name: rollback-converges
    eventually: {healthy: edge, on_version: baseline, at_least: 0.6}
    within: 6
    after: rollback
fuzz:
  strategy: fleet_steps
  bounds: {counts: boundaries, vary: [], max_steps: 4}
  max_examples: 6
  settle: 0.6
"""


def test_every_move_runs_against_real_containers_and_heals(tmp_path: Path, docker_client, edgefleet_images,
                                                            leftovers) -> None:
    # Hypothesis picks moves at random; here each is made once, in a fixed order, so each is known to work.
    scenario = load_scenario(write_scenario(tmp_path, "moves.yaml", EVERY_MOVE))
    spec, plan = prepare_fuzz(scenario)
    assert plan.left_out == ()
    moves = {m.name: m for m in plan.moves}
    fleet = Fleet(spec, client=docker_client, images=edgefleet_images)
    try:
        fleet.up(deadline=90)
        session = LiveSession(scenario, spec, fleet, timeline_path=tmp_path / "moves.timeline.jsonl")
        session.start()
        machine = MachineRun(session, plan, fuzz_config(scenario, profile="ci"), progress=SILENT)
        machine.begin()
        for name, drawn in (("kill", {}), ("slow-links", {"nodes": ["edge-1", "edge-2"]}),
                            ("cut-control-plane", {"nodes": ["edge-3"]}), ("heal", {}),
                            ("restart", {"nodes": ["edge-2"]}),
                            ("push", {"spec": FeatureFileSpec(400)}), ("rollback", {})):
            machine.make(moves[name], **drawn)  # raises ExampleFailed if an invariant breaks
            if name == "cut-control-plane":
                assert len(session.faults) == 3  # kill, latency and the cut, until the heal move
        machine.end()
        assert session.faults == []
        made = [e.description for e in machine.examples]
        assert made == ["kill on edge-1 -> latency towards controlplane on edge-1, edge-2 -> control_plane_unreachable "
                        "towards controlplane on edge-3 -> wait 0.2s -> restart on edge-2 -> push a file of 400 rows "
                        "-> rollback"]
        session.stop()
    finally:
        fleet.down()
    events = [json.loads(line) for line in (tmp_path / "moves.timeline.jsonl").read_text().splitlines()
              if '"kind":"event"' in line]
    applied = [(e["step"], e["fault"], e["nodes"]) for e in events if e["event"] == "fault_applied"]
    assert applied == [("kill", "kill", ["edge-1"]), ("slow-links", "latency", ["edge-1", "edge-2"]),
                       ("cut-control-plane", "control_plane_unreachable", ["edge-3"]),
                       ("restart", "restart", ["edge-2"])]
    assert {e["step"] for e in events if e["event"] == "fault_healed"} == {"kill", "slow-links", "cut-control-plane"}
    assert leftovers(fleet.run_id) == []
