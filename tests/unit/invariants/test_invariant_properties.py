"""Properties of the invariant engine on arbitrary generated timelines."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariant_reference import reference
from invariant_strategies import invariants, record_lists, timeline

from chaos.invariants import LiveChecker, evaluate, evaluate_all
from chaos.observe.timeline import Timeline
from chaos.scenario.model import Condition, Invariant

# Small example counts: two shared cores, and each example runs the engine several times.
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _steps_ran(invariant: Invariant, records: list[dict]) -> bool:
    ended = False
    for r in records:
        if ended:
            return False
        if r["kind"] == "event" and r.get("event") == "step_started" and r.get("step") == invariant.after:
            return True
        ended = r["kind"] == "event" and r.get("event") == "run_finished"
    return False


@PROPERTY
@given(records=record_lists(), invariant=invariants())
def test_engine_agrees_with_brute_force(records: list[dict], invariant: Invariant) -> None:
    verdict = evaluate(invariant, timeline(records))
    held, at = reference(invariant, timeline(records).records)
    assert verdict.held == held, verdict.explanation
    if at is not None:
        assert verdict.at == at, verdict.explanation


@PROPERTY
@given(records=record_lists(), invariant=invariants(operator="always", allow_equals=False))
def test_always_p_is_not_eventually_not_p(records: list[dict], invariant: Invariant) -> None:
    always = evaluate(invariant, timeline(records))
    dual = dataclasses.replace(invariant, operator="eventually", condition=invariant.condition.negated())
    eventually_not = evaluate(dual, timeline(records))
    if invariant.after is not None and not _steps_ran(invariant, records):
        # A step that never ran violates both: the duality holds only over a range that began.
        assert not always.held and not eventually_not.held
    else:
        assert always.held == (not eventually_not.held)
        if not always.held:
            assert always.at == eventually_not.at


@PROPERTY
@given(records=record_lists(), invariant=invariants(operator="never", allow_equals=False))
def test_never_p_is_always_not_p(records: list[dict], invariant: Invariant) -> None:
    never = evaluate(invariant, timeline(records))
    always_not = evaluate(
        dataclasses.replace(invariant, operator="always", condition=invariant.condition.negated()), timeline(records)
    )
    assert (never.held, never.at, never.seq, never.nodes) == (
        always_not.held,
        always_not.at,
        always_not.seq,
        always_not.nodes,
    )


@PROPERTY
@given(records=record_lists(), invariant=invariants(operator="always"))
def test_while_always_true_is_plain_always(records: list[dict], invariant: Invariant) -> None:
    plain = dataclasses.replace(invariant, while_=None)
    # Restarts are never negative and always known, so this while condition holds at every instant.
    trivially = dataclasses.replace(invariant, while_=Condition("restarts", "edge", "at_least", 0.0))
    a, b = evaluate(plain, timeline(records)), evaluate(trivially, timeline(records))
    assert (a.held, a.at, a.seq, a.closest, a.nodes) == (b.held, b.at, b.seq, b.closest, b.nodes)


@PROPERTY
@given(
    records=record_lists(),
    checked=st.lists(invariants(), min_size=1, max_size=4),
    cuts=st.lists(st.integers(0, 40), max_size=8),
)
def test_live_checker_ends_where_evaluate_does(records: list[dict], checked: list[Invariant], cuts: list[int]) -> None:
    checked = [dataclasses.replace(inv, name=f"inv-{i}") for i, inv in enumerate(checked)]
    expected = [v.to_dict() for v in evaluate_all(checked, timeline(records))]
    growing = Timeline()
    live = LiveChecker(checked, growing)
    decided = []
    position = 0
    for cut in sorted(set(cuts)) + [len(records)]:
        for record in records[position:cut]:
            growing.append(record)
        position = max(position, cut)
        decided.extend(live.update())
    decided.extend(live.finish())
    assert sorted(v.invariant for v in decided) == sorted(inv.name for inv in checked)
    assert [v.to_dict() for v in live.verdicts] == expected

