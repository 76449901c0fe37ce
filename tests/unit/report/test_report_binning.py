"""The timeline in time bins: the worst state of each node in each bin, traffic rates and latency percentiles."""

from __future__ import annotations

import math

import numpy as np

from chaos.report.binning import (
    DOWN,
    HEALTHY,
    MAX_STATE_BINS,
    MAX_TRAFFIC_BINS,
    NO_DATA,
    PAUSED,
    UNHEALTHY,
    WRONG,
    node_states,
    traffic_series,
)


def sample(node: str, t: float, *, healthy: bool = True, container: str = "running", service: str = "edge") -> dict:
    return {"kind": "sample", "t": t, "node": node, "service": service, "container": container, "healthy": healthy}


def request(node: str, t: float, *, ok: bool = True, wrong: bool = False, latency: float | None = 0.01) -> dict:
    return {"kind": "traffic", "t": t, "node": node, "service": "edge", "ok": ok, "wrong": wrong,
            "latency": latency if ok else None}


def test_the_worst_state_in_a_bin_wins_so_a_short_crash_shows() -> None:
    records = [sample("a", 0.1), sample("a", 0.3, container="restarting"), sample("a", 0.6), sample("a", 1.1)]
    states = node_states(records, {"edge": ["a"]}, end=1.2, width=0.5)
    # 0.5-0.6 s: still restarting as far as anyone knows, so the second bin is down too.
    assert states.codes.tolist() == [[DOWN, DOWN, HEALTHY]]


def test_a_bin_without_a_sample_keeps_the_state_before_it_and_nothing_is_invented_outside_the_samples() -> None:
    records = [sample("a", 1.1, healthy=False), sample("a", 3.2), sample("a", 4.5), sample("b", 0.2, container="paused")]
    states = node_states(records, {"edge": ["a", "b"]}, end=5.0, width=1.0)
    assert states.codes.tolist() == [[NO_DATA, UNHEALTHY, UNHEALTHY, UNHEALTHY, HEALTHY],
                                     [PAUSED, NO_DATA, NO_DATA, NO_DATA, NO_DATA]]


def test_nodes_keep_the_run_started_order_and_unknown_sampled_nodes_come_last() -> None:
    records = [sample("x", 0.1, service="other"), sample("b", 0.1), sample("a", 0.1)]
    states = node_states(records, {"edge": ["a", "b"]}, end=1.0)
    assert states.nodes == ["a", "b", "x"] and states.services == ["edge", "edge", "other"]


def test_a_node_serves_wrong_results_from_a_wrong_answer_until_a_right_one() -> None:
    records = [sample("a", t / 10) for t in range(1, 60)]
    records += [request("a", 1.05, wrong=True), request("a", 3.05, ok=False), request("a", 4.05)]
    states = node_states(records, {"edge": ["a"]}, end=6.0, width=1.0)
    assert states.codes.tolist() == [[HEALTHY, WRONG, WRONG, WRONG, WRONG, HEALTHY]]


def test_wrong_answers_never_hide_a_worse_state() -> None:
    records = [sample("a", 0.1, container="restarting"), request("a", 0.2, wrong=True)]
    assert node_states(records, {"edge": ["a"]}, end=1.0, width=1.0).codes.tolist() == [[DOWN]]


def test_bins_stay_bounded_for_long_runs() -> None:
    records = [sample("a", t) for t in range(0, 3600, 5)]
    states = node_states(records, {"edge": ["a"]}, end=3600.0)
    assert states.bins == MAX_STATE_BINS and math.isclose(states.width, 9.0)
    assert len(traffic_series([], end=3600.0).requests) == MAX_TRAFFIC_BINS


def test_traffic_bins_count_failures_wrong_results_and_latency_percentiles() -> None:
    records = [request("a", 0.1 + i * 0.008, latency=(i + 1) / 1000) for i in range(100)]
    records += [request("a", 0.5, ok=False), request("a", 1.2, wrong=True, latency=0.5), request("a", 1.3)]
    series = traffic_series(records, end=2.0, width=1.0)
    assert series.requests.tolist() == [101, 2] and series.failed.tolist() == [1, 0]
    assert series.wrong.tolist() == [0, 1]
    assert series.p50[0] == 0.05 and series.p99[0] == 0.1
    assert np.allclose(series.error_rate, [1 / 101, 0.0]) and np.allclose(series.wrong_rate, [0.0, 0.5])
    assert series.services == ["edge"]


def test_a_bin_without_requests_has_no_rate_rather_than_zero() -> None:
    series = traffic_series([request("a", 0.2)], end=3.0, width=1.0)
    assert series.requests.tolist() == [1, 0, 0]
    assert np.isnan(series.error_rate[1]) and np.isnan(series.p50[2])
