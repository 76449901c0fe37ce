"""Each quantity and modifier, where it holds and where it fails."""

from __future__ import annotations

from invariant_strategies import EDGE, cond, finished, inv, sample, started, steady, step, tick, timeline, traffic

from chaos.invariants import evaluate
from chaos.scenario.model import HealthTest

FLEET = started({"edge": EDGE[:2], "cp": ["cp-1"]}, {"first": ["edge-1"]})


def held(operator: str, condition, *records, **options) -> bool:
    return evaluate(inv(operator, condition, **options), timeline(FLEET, *records)).held


def test_healthy_and_unhealthy_are_fractions_of_the_subject() -> None:
    records = [tick(1, [True, False])]
    assert held("always", cond("healthy", equals=0.5), *records)
    assert held("always", cond("unhealthy", equals=0.5), *records)
    assert not held("always", cond("healthy", above=0.5), *records)


def test_a_target_is_its_own_set_of_nodes() -> None:
    records = [tick(1, [True, False])]
    assert held("always", cond("healthy", "first", at_least=1.0), *records)
    assert not held("always", cond("healthy", "edge", at_least=1.0), *records)


def test_serving_follows_the_latest_traffic_probe_and_falls_back_to_healthy() -> None:
    serving = cond("serving", at_least=1.0)
    assert held("always", serving, tick(1, [True, True]))
    assert not held("always", serving, tick(1, [True, False]))
    # edge-2 is unhealthy but its latest request succeeded; edge-1 healthy but its request failed.
    records = [tick(1, [True, False]), traffic("edge-2", 1, ok=True), traffic("edge-1", 2, ok=False)]
    verdict = evaluate(inv("always", serving), timeline(FLEET, *records))
    assert not verdict.held and verdict.at == 2 and verdict.nodes == ["edge-1"]


def test_looping_needs_two_rises_in_thirty_seconds_or_one_while_unhealthy() -> None:
    looping = cond("looping", above=0.0)
    healthy_once = [tick(1, [True, True]), sample("edge-1", 5, restarts=1, healthy=True)]
    assert held("never", looping, *healthy_once)
    unhealthy_once = [tick(1, [True, True]), sample("edge-1", 5, restarts=1, healthy=False)]
    assert not held("never", looping, *unhealthy_once)
    twice = [tick(1, [True, True]), sample("edge-1", 5, restarts=1), sample("edge-1", 20, restarts=2)]
    verdict = evaluate(inv("never", looping), timeline(FLEET, *twice))
    assert not verdict.held and verdict.at == 20 and verdict.nodes == ["edge-1"]
    spread = [tick(1, [True, True]), sample("edge-1", 5, restarts=1), sample("edge-1", 40, restarts=2)]
    assert held("never", looping, *spread)


def test_looping_ends_when_rises_leave_the_window() -> None:
    records = [
        tick(0, [True, True]),
        sample("edge-1", 1, restarts=1, healthy=False),
        sample("edge-2", 20, healthy=True),
        sample("edge-2", 31, healthy=True),  # at t=31 the rise at t=1 is 30 s old: out of the window
    ]
    stops = inv("eventually", cond("looping", equals=0.0), after="s", within=100)
    verdict = evaluate(stops, timeline(FLEET, step("s", 1), *records))
    assert verdict.held and verdict.at == 31


def test_restarts_count_rises_since_the_start_including_counter_resets() -> None:
    records = [
        tick(0, [True, True], restarts=3),  # restarts before the run do not count
        sample("edge-1", 1, restarts=5),
        sample("edge-1", 2, restarts=1),  # recreated: the count reset and rose to 1
        sample("edge-2", 3, restarts=4),
    ]
    assert held("always", cond("restarts", at_most=4), *records)
    verdict = evaluate(inv("never", cond("restarts", above=3)), timeline(FLEET, *records))
    assert not verdict.held and verdict.at == 3 and verdict.closest == 4 and verdict.nodes == ["edge-1", "edge-2"]


def test_on_version_number_baseline_and_latest() -> None:
    records = [tick(1, [True, True], version=1), steady({"edge": 1}, 2), sample("edge-1", 3, version=2)]
    assert held("always", cond("healthy", on_version=1, at_least=0.5), *records)
    assert not held("always", cond("healthy", on_version=1, at_least=1.0), *records)
    # baseline is unknown until the steady_state event, so t=1 is skipped.
    verdict = evaluate(inv("always", cond("healthy", on_version="baseline", at_least=1.0)), timeline(FLEET, *records))
    assert not verdict.held and verdict.at == 3
    latest = evaluate(inv("eventually", cond("healthy", on_version="latest", equals=0.5), after="s", within=9),
                      timeline(FLEET, step("s", 0), *records))
    assert latest.held and latest.at == 3


def test_where_tests_health_fields() -> None:
    rejected = cond("healthy", at_least=1.0, where=[HealthTest("rejections", "at_least", 1)])
    nested = cond("healthy", at_least=1.0, where=[HealthTest("module.state", "equals", "degraded")])
    differs = cond("healthy", at_least=1.0, where=[HealthTest("module.state", "not", "ok")])
    good = tick(1, [True, True], health={"rejections": 2, "module": {"state": "degraded"}})
    bad = tick(1, [True, True], health={"rejections": 0, "module": {"state": "ok"}})
    missing = tick(1, [True, True], health=None)
    assert held("always", rejected, good) and not held("always", rejected, bad)
    assert held("always", nested, good) and not held("always", nested, bad)
    assert held("always", differs, good) and not held("always", differs, bad)
    assert not held("always", differs, missing)


def test_error_rate_over_a_trailing_window() -> None:
    rate = cond("error_rate", at_most=0.5, window=5)
    records = [traffic("edge-1", 1, ok=False), traffic("edge-1", 2, ok=True), traffic("edge-1", 3, ok=False)]
    verdict = evaluate(inv("always", rate), timeline(FLEET, *records))
    assert not verdict.held and verdict.at == 1  # one request, failed: rate 1.0
    records = [traffic("edge-1", 1, ok=True), traffic("edge-2", 2, ok=False), traffic("edge-1", 3, ok=True)]
    assert held("always", rate, *records)
    # The failure at t=1 leaves the window (t - 5, t] at t=6.
    later = [traffic("edge-1", 1, ok=False), traffic("edge-1", 6, ok=True)]
    healed = evaluate(inv("eventually", cond("error_rate", equals=0.0, window=5), after="s", within=9),
                      timeline(FLEET, step("s", 1), *later))
    assert healed.held and healed.at == 6


def test_error_rate_is_zero_without_requests() -> None:
    assert held("always", cond("error_rate", at_most=0.0), tick(1, [True, True]))


def test_wrong_results_counts_only_successful_responses() -> None:
    wrong = cond("wrong_results", above=0.0)
    assert held("never", wrong, traffic("edge-1", 1, ok=False, wrong=True))
    verdict = evaluate(inv("never", wrong), timeline(FLEET, traffic("edge-2", 1, ok=True, wrong=True)))
    assert not verdict.held and verdict.nodes == ["edge-2"]


def test_latency_percentiles_of_successful_requests() -> None:
    records = [traffic("edge-1", 1, latency=0.1), traffic("edge-1", 1.5, latency=0.2), traffic("edge-2", 2, latency=3.0),
               traffic("edge-2", 2.5, ok=False, latency=9.0)]
    assert held("always", cond("latency_p50", at_most=0.2), *records)
    verdict = evaluate(inv("always", cond("latency_p99", at_most=2.0)), timeline(FLEET, *records))
    assert not verdict.held and verdict.closest == 3.0 and verdict.nodes == ["edge-2"]


def test_latency_without_successful_requests_is_unknown() -> None:
    records = [traffic("edge-1", 1, ok=False), finished(2)]
    assert held("always", cond("latency_p99", at_most=0.0), *records)
    verdict = evaluate(inv("eventually", cond("latency_p99", at_least=0.0), after="s", within=5),
                       timeline(FLEET, step("s", 0), *records))
    assert not verdict.held and "no successful request to edge" in verdict.explanation


def test_a_subject_without_nodes_is_unknown() -> None:
    verdict = evaluate(inv("eventually", cond("healthy", "ghost", at_least=0.0), after="s", within=5),
                       timeline(FLEET, step("s", 0), tick(1, [True, True])))
    assert not verdict.held and "ghost names no service or target" in verdict.explanation


def test_without_run_started_the_nodes_are_those_sampled() -> None:
    records = timeline(tick(1, [True]), tick(2, [True, False]))
    assert not evaluate(inv("always", cond("healthy", at_least=1.0)), records).held
    assert evaluate(inv("always", cond("healthy", at_least=1.0), within=1.5), records).held
