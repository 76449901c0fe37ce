"""Every probe fires against real containers: health, container state, restarts, traffic (and wrong answers)."""

from __future__ import annotations

import time

from chaos.faults.feature_file import feature_file
from chaos.faults.node_faults import NodeFault
from chaos.observe.recorder import Recorder, TrafficPlan
from chaos.observe.timeline import Timeline


def latest(timeline: Timeline, kind: str, node: str) -> dict:
    return [r for r in timeline.of_kind(kind) if r["node"] == node][-1]


def test_probes_see_a_pause_a_crash_loop_and_wrong_answers(start_fleet):
    fleet = start_fleet(edges=2, edge_env={"EDGE_MODE": "panic"})
    timeline = Timeline()
    with Recorder(fleet, timeline, interval=0.1, traffic=TrafficPlan("edge", 5)):
        time.sleep(1)
        assert latest(timeline, "sample", "edge-1")["healthy"] is True
        assert latest(timeline, "sample", "edge-1")["version"] == 1
        assert latest(timeline, "traffic", "edge-1")["ok"] is True

        pause = NodeFault("pause", ["edge-2"])
        paused_at = timeline.event("fault_applied", nodes=["edge-2"])["t"]
        pause.apply(fleet)
        time.sleep(3)  # a request to a paused node hangs until the probe's 2 s timeout
        sample = latest(timeline, "sample", "edge-2")
        assert sample["container"] == "paused" and sample["healthy"] is False
        after = [r for r in timeline.of_kind("traffic") if r["node"] == "edge-2" and r["t"] > paused_at + 0.5]
        assert after and not any(r["ok"] for r in after)
        pause.heal(fleet)

        fleet.action("push", body=feature_file(400))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and latest(timeline, "sample", "edge-1")["restarts"] < 2:
            time.sleep(0.2)
        sample = latest(timeline, "sample", "edge-1")
        assert sample["restarts"] >= 2, sample
        assert any(e["event"] == "node_restarted" and e["node"] == "edge-1" for e in timeline.events())
        fleet.action("rollback")
    assert all(r["t"] >= 0 for r in timeline.records)


def test_traffic_probe_marks_wrong_answers_of_degraded_nodes(start_fleet):
    fleet = start_fleet(edges=1, edge_env={"EDGE_MODE": "degrade"})
    timeline = Timeline()
    with Recorder(fleet, timeline, interval=0.25, traffic=TrafficPlan("edge", 10)):
        time.sleep(0.5)
        assert not any(r["wrong"] for r in timeline.of_kind("traffic"))
        fleet.action("push", body=feature_file(400))
        time.sleep(3)
    traffic = timeline.of_kind("traffic")
    assert traffic[-1]["ok"] is True and traffic[-1]["wrong"] is True
    assert all(r["ok"] for r in traffic)
