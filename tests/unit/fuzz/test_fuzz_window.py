"""The run's feed and an example's window: invariants over one example's records, and the fleet at rest."""

from __future__ import annotations

from chaos.fuzz.window import Feed, at_rest
from chaos.invariants import evaluate_all
from chaos.scenario import Condition, Invariant

NODES = {"edge": ["edge-1", "edge-2"], "controlplane": ["controlplane-1"]}
UP = Invariant("up", "always", Condition("healthy", "edge", "at_least", 1.0))
NO_RESTARTS = Invariant("no-restarts", "never", Condition("restarts", "edge", "above", 0.0))
ON_BASELINE = Invariant("on-baseline", "always", Condition("healthy", "edge", "at_least", 1.0, on_version="baseline"))


def sample(feed: Feed, node: str, *, healthy: bool = True, version: int = 1, restarts: int = 0) -> None:
    service = node.rsplit("-", 1)[0]
    feed.sample(node, service=service, healthy=healthy, version=version, restarts=restarts, health={"v": version})


def steady(feed: Feed, *, version: int = 1, restarts: int = 0) -> None:
    for names in NODES.values():
        for node in names:
            sample(feed, node, version=version, restarts=restarts)


def test_a_window_starts_from_the_latest_samples_and_counts_restarts_from_there(tmp_path) -> None:
    feed = Feed(tmp_path / "run.jsonl", nodes=NODES, targets={})
    steady(feed, restarts=4)  # restarts before the example do not count against it
    window = feed.open_window([UP, NO_RESTARTS], baseline={"edge": 1})
    sample(feed, "edge-1", restarts=4)
    assert window.update() == [] and window.pending == ["up", "no-restarts"]
    sample(feed, "edge-2", healthy=False, restarts=5)
    sample(feed, "edge-1")
    violated = {v.invariant for v in window.update()}
    assert violated == {"up", "no-restarts"}
    feed.close_window(window)
    sample(feed, "edge-2", healthy=False)  # after the window: not its business
    verdicts = window.finish(feed.now())
    assert [v.held for v in verdicts] == [False, False]
    # The live verdicts are those evaluate_all gives over the window's records.
    assert [v.held for v in evaluate_all([UP, NO_RESTARTS], window.timeline)] == [False, False]
    feed.close()
    assert len((tmp_path / "run.jsonl").read_text().splitlines()) == 7  # every record, in the run's file


def test_a_window_that_stays_healthy_holds_and_knows_its_baseline(tmp_path) -> None:
    feed = Feed(None, nodes=NODES, targets={})
    steady(feed, version=3)
    window = feed.open_window([UP, ON_BASELINE], baseline={"edge": 3, "controlplane": 3})
    steady(feed, version=3)
    feed.close_window(window)
    assert [v.held for v in window.finish(feed.now())] == [True, True]


def test_at_rest_names_what_fails_and_the_nodes_at_fault(tmp_path) -> None:
    feed = Feed(None, nodes=NODES, targets={})
    steady(feed)
    assert at_rest([UP, NO_RESTARTS], feed.snapshot()) == ([], [])
    sample(feed, "edge-2", healthy=False)
    failing, nodes = at_rest([UP, NO_RESTARTS], feed.snapshot())
    assert failing == ["always healthy fraction of edge >= 1 (was 0.5)"] and nodes == ["edge-2"]


def test_traffic_before_a_reset_does_not_count_at_rest(tmp_path) -> None:
    feed = Feed(None, nodes=NODES, targets={})
    steady(feed)
    serving = Invariant("serving", "always", Condition("serving", "edge", "at_least", 1.0))
    feed.traffic("edge-1", service="edge", ok=False)
    assert at_rest([serving], feed.snapshot())[0]
    since = feed.now()
    assert at_rest([serving], feed.snapshot(since=since)) == ([], [])
    feed.traffic("edge-1", service="edge", ok=True)
    assert at_rest([serving], feed.snapshot()) == ([], [])


def test_fresh_since_waits_for_every_node(tmp_path) -> None:
    feed = Feed(None, nodes=NODES, targets={})
    steady(feed)
    since = feed.now()
    assert not feed.fresh_since(since)
    steady(feed)
    assert feed.fresh_since(since)
