"""Findings written as scenario files: they load, and say exactly what was run and what broke."""

from __future__ import annotations

from pathlib import Path

from fuzz_scenarios import FILES, STEPS, scenario

from chaos.fuzz.replay import Replay, ReplayStep, condition_document, replay_text
from chaos.scenario import Condition, HealthTest, load_scenario


def test_a_feature_file_finding_replays_the_scenarios_steps_with_the_file(tmp_path: Path) -> None:
    s = scenario(FILES, tmp_path)
    steps = [ReplayStep(step, step.id) for step in s.steps]
    steps[1].file, steps[1].wait = "found.json", 0.7
    at = tmp_path / "runs" / "found.replay.yaml"
    at.parent.mkdir()
    (at.parent / "found.json").write_text('{"features": []}')
    at.write_text(replay_text(Replay(s, steps, [s.invariants[0]], "Replay", "The finding.", 5), at=at))
    replayed = load_scenario(at)
    assert replayed.fuzz is None and replayed.expect == "hold" and replayed.cleanup == "never"
    assert replayed.fleet == s.fleet
    assert replayed.steady_state == s.steady_state and replayed.observe == s.observe
    assert [(st.id, st.kind) for st in replayed.steps] == [("warm-up", "wait"), ("push", "action"),
                                                           ("watch-2", "wait")]
    assert replayed.steps[1].with_ == {"file": "found.json"} and replayed.steps[2].wait.for_ == 0.7
    assert replayed.invariants == (s.invariants[0],)


def test_a_sequence_finding_names_its_steps_targets_and_heals(tmp_path: Path) -> None:
    s = scenario(STEPS, tmp_path)
    by_id = {st.id: st for st in s.steps}
    steps = [
        ReplayStep(by_id["push"], "push-1", file="f-push-1.json", wait=0.6),
        ReplayStep(by_id["kill"], "kill-2", nodes=["edge-2"], service="edge", heal="heal-4", wait=0.6),
        ReplayStep(by_id["cut-control-plane"], "cut-control-plane-3", link="controlplane", params={"mode": "pause"},
                   wait=0.6),
        ReplayStep(by_id["heal"], "heal-4", wait=0.6),
        ReplayStep(by_id["rollback"], "rollback-5", wait=6.2),
    ]
    at = tmp_path / "seq.replay.yaml"
    (tmp_path / "f-push-1.json").write_text('{"features": []}')
    text = replay_text(Replay(s, steps, [s.invariants[1]], "Replay", "A sequence.", 11), at=at,
                       schema=str(tmp_path / "schema.json"))
    assert text.startswith("# yaml-language-server: $schema=schema.json\n")
    at.write_text(text)
    replayed = load_scenario(at)
    ids = [st.id for st in replayed.steps]
    assert ids == ["push-1", "watch-1", "kill-2", "watch-2", "cut-control-plane-3", "watch-3", "heal-4", "watch-4",
                   "rollback-5", "watch-5"]
    kill = replayed.step("kill-2")
    assert kill.fault.target == "nodes-kill-2" and kill.heal == "heal-4"
    assert replayed.targets["nodes-kill-2"].select.names == ("edge-2",)
    cut = replayed.step("cut-control-plane-3")
    assert (cut.fault.kind, cut.fault.link, cut.fault.params, cut.heal) == (
        "control_plane_unreachable", "controlplane", {"mode": "pause"}, "end")
    # The invariant's `after` points at the rollback that broke it.
    assert replayed.invariants[0].after == "rollback-5"
    assert replayed.invariants[0].condition == s.invariants[1].condition


def test_conditions_round_trip_with_their_modifiers() -> None:
    condition = Condition("healthy", "edge", "at_least", 0.5, on_version=3,
                          where=(HealthTest("state", "equals", "ok"), HealthTest("features", "above", 200)))
    assert condition_document(condition) == {"healthy": "edge", "at_least": 0.5, "on_version": 3,
                                             "where": {"state": "ok", "features": {"above": 200}}}
    windowed = Condition("wrong_results", "edge", "above", 0.0, window=2.0)
    assert condition_document(windowed) == {"wrong_results": "edge", "above": 0, "window": 2}
