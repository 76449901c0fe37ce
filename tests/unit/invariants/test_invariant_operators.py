"""always / never / eventually, after, within, until and while on small hand-made timelines."""

from __future__ import annotations

from invariant_strategies import EDGE, cond, finished, inv, started, step, tick, timeline

from chaos.invariants import evaluate

FLEET = started({"edge": EDGE[:2]})
UP = cond("healthy", at_least=1.0)


def test_always_holds_when_every_instant_passes() -> None:
    verdict = evaluate(inv("always", UP), timeline(FLEET, tick(1, [True, True]), tick(2, [True, True])))
    assert verdict.held
    assert verdict.nodes == []


def test_always_fails_at_the_first_counterexample() -> None:
    records = timeline(FLEET, tick(1, [True, True]), tick(2, [True, False]), tick(3, [False, False]))
    verdict = evaluate(inv("always", UP), records)
    assert not verdict.held
    assert (verdict.at, verdict.closest, verdict.nodes) == (2, 0.5, ["edge-2"])
    assert verdict.seq == records.records[-3]["seq"]  # the last record of the t=2 instant


def test_never_fails_where_the_condition_holds() -> None:
    down = cond("unhealthy", above=0.0)
    assert evaluate(inv("never", down), timeline(FLEET, tick(1, [True, True]))).held
    verdict = evaluate(inv("never", down), timeline(FLEET, tick(1, [True, True]), tick(4, [False, True])))
    assert not verdict.held and verdict.at == 4 and verdict.nodes == ["edge-1"]


def test_eventually_holds_at_the_first_satisfying_instant_in_the_range() -> None:
    falls = inv("eventually", cond("healthy", at_most=0.5), after="push", within=10)
    records = timeline(FLEET, tick(1, [True, True]), step("push", 2), tick(3, [True, True]), tick(5, [False, True]))
    verdict = evaluate(falls, records)
    assert verdict.held and verdict.at == 5 and verdict.closest == 0.5


def test_eventually_is_violated_when_the_deadline_passes_and_keeps_the_closest() -> None:
    falls = inv("eventually", cond("healthy", at_most=0.4), after="push", within=10)
    records = timeline(
        FLEET, step("push", 0), tick(1, [True, True]), tick(4, [False, True]), tick(8, [True, True]), tick(20, [False, False])
    )
    verdict = evaluate(falls, records)
    assert not verdict.held
    assert (verdict.closest, verdict.at, verdict.nodes) == (0.5, 4, ["edge-2"])


def test_eventually_counts_the_state_already_there_when_the_step_starts() -> None:
    # The step starts at t=5 while both nodes have been down since t=1: satisfied at once.
    records = timeline(FLEET, tick(1, [False, False]), step("push", 5), finished(6))
    verdict = evaluate(inv("eventually", cond("healthy", at_most=0.0), after="push", within=1), records)
    assert verdict.held and verdict.at == 5


def test_instants_before_after_are_not_checked() -> None:
    records = timeline(FLEET, tick(1, [False, False]), step("push", 2), tick(3, [True, True]))
    assert not evaluate(inv("always", UP), records).held
    verdict = evaluate(inv("always", UP, after="push"), records)
    # At t=2 (the step's instant) the nodes are still down from t=1.
    assert not verdict.held and verdict.at == 2
    records = timeline(FLEET, tick(1, [False, False]), tick(2, [True, True]), step("push", 2), tick(3, [True, True]))
    assert evaluate(inv("always", UP, after="push"), records).held


def test_within_bounds_always_and_never() -> None:
    records = timeline(FLEET, tick(1, [True, True]), tick(5, [True, True]), tick(12, [False, True]))
    assert evaluate(inv("always", UP, within=10), records).held
    assert not evaluate(inv("always", UP, within=12), records).held  # the end is inclusive


def test_until_a_step_stops_checking_at_its_start() -> None:
    records = timeline(FLEET, tick(1, [True, True]), step("rollback", 3), tick(3, [False, True]))
    assert evaluate(inv("always", UP, until="rollback"), records).held
    assert not evaluate(inv("always", UP), records).held


def test_until_a_step_that_never_started_checks_to_the_end() -> None:
    records = timeline(FLEET, tick(1, [True, True]), tick(3, [False, True]))
    assert not evaluate(inv("always", UP, until="rollback"), records).held


def test_until_a_condition_stops_at_the_first_instant_it_holds() -> None:
    loop = cond("unhealthy", at_least=1.0)
    records = timeline(FLEET, tick(1, [True, True]), tick(2, [False, False]), tick(3, [True, False]))
    # "healthy >= 0.5 until all are down": at t=2 the until condition holds, so t=2 and t=3 are not checked.
    verdict = evaluate(inv("always", cond("healthy", at_least=0.5), until=loop), records)
    assert verdict.held
    assert not evaluate(inv("always", cond("healthy", at_least=0.5)), records).held


def test_while_only_checks_instants_where_it_holds() -> None:
    half_up = cond("healthy", at_least=0.5)
    all_serving = cond("serving", at_least=1.0)
    records = timeline(FLEET, tick(1, [True, True]), tick(2, [False, False]), tick(3, [True, True]))
    assert not evaluate(inv("always", all_serving), records).held
    assert evaluate(inv("always", all_serving, while_=half_up), records).held


def test_empty_ranges_hold_for_always_and_never_and_fail_for_eventually() -> None:
    # The range starts at step push and ends at step stop, which started first: nothing is checked.
    records = timeline(FLEET, step("stop", 1), step("push", 2), tick(3, [False, False]))
    assert evaluate(inv("always", UP, after="push", until="stop"), records).held
    assert evaluate(inv("never", cond("healthy", at_most=0.0), after="push", until="stop"), records).held
    verdict = evaluate(inv("eventually", UP, after="push", within=0.5), timeline(FLEET, step("push", 1), finished(9)))
    assert not verdict.held
    assert "no instant could be checked" in verdict.explanation


def test_a_step_in_after_that_never_ran_violates_every_operator() -> None:
    records = timeline(FLEET, tick(1, [True, True]), finished(2))
    for operator in ("always", "never", "eventually"):
        condition = cond("healthy", at_most=0.0) if operator == "never" else UP
        verdict = evaluate(inv(operator, condition, after="rollback", within=5), records)
        assert not verdict.held
        assert "step rollback never ran" in verdict.explanation


def test_a_run_that_ended_before_the_deadline_fails_eventually_unless_satisfied() -> None:
    converge = inv("eventually", UP, after="rollback", within=60)
    records = timeline(FLEET, step("rollback", 1), tick(2, [False, True]), finished(10))
    verdict = evaluate(converge, records)
    assert not verdict.held
    assert "the run ended at t=10.0s, before the range's end at t=61.0s" in verdict.explanation
    records = timeline(FLEET, step("rollback", 1), tick(2, [True, True]), finished(10))
    assert evaluate(converge, records).held


def test_unknown_instants_are_skipped() -> None:
    # Until edge-2 has a sample, the fraction of edge is unknown, so t=1 cannot fail "always".
    records = timeline(FLEET, tick(1, {"edge-1": False}, nodes=["edge-1"]), tick(2, [True, True]))
    assert evaluate(inv("always", UP), records).held


def test_records_after_run_finished_are_ignored() -> None:
    records = timeline(FLEET, tick(1, [True, True]), finished(2), tick(3, [False, False]))
    assert evaluate(inv("always", UP), records).held


def test_same_time_records_form_one_instant() -> None:
    # edge-1 goes down and edge-2 comes up at the same t: the fleet was never all-down.
    records = timeline(FLEET, tick(1, [True, False]), tick(2, [False, True]))
    assert evaluate(inv("never", cond("healthy", equals=0.0)), records).held
