"""What a verdict tells a person, and how the live checker reports as a run goes on."""

from __future__ import annotations

from pathlib import Path

from invariant_strategies import EDGE, cond, finished, inv, sample, started, step, tick, timeline

from chaos.invariants import LiveChecker, Verdict, evaluate
from chaos.observe.timeline import Timeline
from chaos.scenario import load_scenario
from chaos.yamlpos import Mark

TEN = EDGE + [f"edge-{i}" for i in range(5, 11)]
FLEET = started({"edge": TEN})


def test_a_violated_eventually_explains_the_closest_the_fleet_came() -> None:
    converge = inv(
        "eventually", cond("healthy", at_least=0.95, on_version=2), after="rollback", within=60,
        name="rollback-converges", mark=Mark("s.yaml", 40, 5),
    )
    up = {n: n in TEN[:3] for n in TEN}
    records = timeline(FLEET, tick(1, {n: True for n in TEN}, nodes=TEN, version=1), step("rollback", 2),
                       tick(41.2, up, nodes=TEN, version=2), tick(70, {n: False for n in TEN}, nodes=TEN, version=2))
    verdict = evaluate(converge, records)
    assert not verdict.held
    text = verdict.explanation
    assert text.startswith("invariant rollback-converges was violated: eventually healthy fraction of edge >= 0.95 "
                           "on version 2 within 60s after step rollback [s.yaml:40:5]")
    assert "healthy fraction of edge reached at most 0.30 (3/10) at t=41.2s; needed >= 0.95" in text
    assert "nodes at fault then: edge-4, edge-5, edge-6, edge-7, edge-8, edge-9, edge-10" in text
    assert f"see timeline seq {verdict.seq}, t=41.2s" in text
    assert records[verdict.seq]["t"] == 41.2
    assert (verdict.closest, verdict.at, verdict.mark) == (0.3, 41.2, Mark("s.yaml", 40, 5))
    assert "\n" not in verdict.summary
    assert verdict.summary.startswith("rollback-converges: VIOLATED (healthy fraction of edge reached at most 0.30")


def test_a_violated_always_names_the_first_counterexample() -> None:
    verdict = evaluate(inv("always", cond("serving", at_least=0.95), name="keeps-serving"),
                       timeline(FLEET, tick(1, {n: n != "edge-7" for n in TEN}, nodes=TEN)))
    assert "first counterexample: serving fraction of edge was 0.90 (9/10) at t=1.0s; needed >= 0.95" in verdict.explanation
    assert verdict.nodes == ["edge-7"]


def test_a_violated_never_says_what_must_never_happen() -> None:
    blast = inv("never", cond("restarts", above=2), name="blast-radius")
    records = timeline(FLEET, tick(0, {n: True for n in TEN}, nodes=TEN), sample("edge-3", 5, restarts=3))
    verdict = evaluate(blast, records)
    assert "restarts of edge since the start was 3 (3 restarts over 1 of 10 nodes) at t=5.0s; must never be > 2" in verdict.explanation
    assert verdict.nodes == ["edge-3"]


def test_a_held_verdict_is_short_and_says_how_close_it_came() -> None:
    verdict = evaluate(inv("always", cond("healthy", at_least=0.5), name="half-up"),
                       timeline(FLEET, tick(1, {n: n in TEN[:6] for n in TEN}, nodes=TEN)))
    assert verdict.held and verdict.summary == "half-up: held"
    assert "closest to failing: healthy fraction of edge was 0.60 (6/10) at t=1.0s" in verdict.explanation


def test_verdicts_serialise_for_the_journal() -> None:
    verdict = evaluate(inv("always", cond("healthy", at_least=1.0), mark=Mark("a.yaml", 3, 4)),
                       timeline(FLEET, tick(1, {n: False for n in TEN}, nodes=TEN)))
    data = verdict.to_dict()
    assert data["mark"] == "a.yaml:3:4" and data["held"] is False and data["nodes"] == TEN


def test_scenario_invariants_carry_their_marks_into_verdicts() -> None:
    path = Path(__file__).parents[1] / "scenario" / "fixtures" / "valid.yaml"
    line = path.read_text().splitlines().index("  - name: keeps-serving") + 1
    verdict = evaluate(load_scenario(path).invariants[2], timeline(FLEET, tick(1, {n: True for n in TEN}, nodes=TEN)))
    assert verdict.invariant == "keeps-serving" and verdict.mark == Mark(str(path), line, 5)


# --- live --------------------------------------------------------------------


def test_live_always_is_violated_as_soon_as_the_instant_is_complete() -> None:
    growing = Timeline()
    live = LiveChecker([inv("always", cond("healthy", at_least=1.0), name="up")], growing)
    growing.append(started({"edge": EDGE[:2]}))
    for record in tick(1, [True, True]):
        growing.append(record)
    assert live.update() == []
    growing.append(sample("edge-1", 2, healthy=False))
    assert live.update() == []  # another record at t=2 could still arrive
    growing.append(sample("edge-2", 2.1, healthy=True))
    decided = live.update()
    assert [(v.invariant, v.held, v.at) for v in decided] == [("up", False, 2)]
    assert live.update() == [] and live.pending == []


def test_live_eventually_is_decided_when_satisfied_or_past_its_deadline() -> None:
    falls = inv("eventually", cond("healthy", at_most=0.5), after="push", within=5, name="falls")
    never = inv("eventually", cond("healthy", at_most=0.0), after="push", within=5, name="never-all")
    growing = Timeline()
    live = LiveChecker([falls, never], growing)
    for record in [started({"edge": EDGE[:2]}), *tick(1, [True, True]), step("push", 2), *tick(3, [False, True]), *tick(4, [True, True])]:
        growing.append(record)
    assert [v.invariant for v in live.update()] == ["falls"]
    assert live.pending == ["never-all"]
    growing.append(sample("edge-1", 7.5))
    assert live.update() == []  # t=7.5 is past the deadline (7), but its instant is still open
    growing.append(sample("edge-2", 8))
    decided = live.update()
    assert [(v.invariant, v.held) for v in decided] == [("never-all", False)]
    assert [v.invariant for v in live.verdicts] == ["falls", "never-all"]


def test_live_run_finished_decides_everything_left() -> None:
    growing = Timeline()
    live = LiveChecker([inv("always", cond("healthy", at_least=0.5), name="up")], growing)
    for record in [started({"edge": EDGE[:2]}), *tick(1, [True, True]), finished(2)]:
        growing.append(record)
    decided = live.update()
    assert [(v.invariant, v.held) for v in decided] == [("up", True)]
    assert live.finish() == []


def test_live_update_reads_only_new_records() -> None:
    growing = Timeline()
    live = LiveChecker([inv("never", cond("restarts", above=100), name="blast")], growing)
    growing.append(started({"edge": EDGE[:1]}))
    for t in range(200):
        growing.append(sample("edge-1", float(t)))
        assert live.update() == []
    assert live._read == len(growing)
    assert [v.held for v in live.finish()] == [True]
    assert isinstance(live.verdicts[0], Verdict)
