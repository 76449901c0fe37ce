"""The timeline: append, stream, load back, and the accessors the invariants use."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from chaos.errors import UsageError
from chaos.observe.timeline import Timeline, TimelineError


def test_append_assigns_seq_and_keeps_the_callers_dict_untouched() -> None:
    timeline = Timeline()
    given = {"kind": "event", "event": "run_started", "t": 0.5, "nodes": {"edge": ["edge-1"]}}
    stored = timeline.append(given)
    assert stored["seq"] == 0 and "seq" not in given
    assert timeline.event("step_started", step="push", t=1.0)["seq"] == 1
    assert len(timeline) == 2 and timeline[1]["step"] == "push"


def test_time_comes_from_the_clock_when_absent_and_never_goes_back() -> None:
    now = iter([3.0, 4.0])
    timeline = Timeline(clock=lambda: next(now))
    assert timeline.event("run_started")["t"] == 3.0
    assert timeline.sample("edge-1", service="edge", healthy=True, t=2.5)["t"] == 3.0  # late: stamped with the last time
    assert timeline.traffic("edge-1", service="edge", ok=True)["t"] == 4.0


def test_records_have_the_documented_fields() -> None:
    timeline = Timeline()
    sample = timeline.sample("edge-3", service="edge", healthy=False, container="restarting", version=2,
                             health={"rejections": 1}, restarts=4, t=1)
    assert set(sample) == {"kind", "t", "seq", "node", "service", "container", "healthy", "version", "health", "restarts"}
    traffic = timeline.traffic("edge-3", service="edge", ok=False, status=503, latency=None, t=1)
    assert set(traffic) == {"kind", "t", "seq", "node", "service", "ok", "status", "latency", "wrong"}


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(TimelineError, match="expected a record kind among sample, traffic, event, found 'probe'"):
        Timeline().append({"kind": "probe", "t": 0})
    assert issubclass(TimelineError, UsageError)


def test_appends_from_many_threads_get_unique_ordered_seq() -> None:
    timeline = Timeline()

    def probe(node: str) -> None:
        for _ in range(500):
            timeline.sample(node, service="edge", healthy=True)

    threads = [threading.Thread(target=probe, args=(f"edge-{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = timeline.records
    assert [r["seq"] for r in records] == list(range(4000))
    assert all(a["t"] <= b["t"] for a, b in zip(records, records[1:]))


def test_each_record_is_on_disk_at_once_by_default(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    timeline = Timeline(path)
    timeline.event("run_started", t=0, nodes={"edge": ["edge-1"]})
    lines = path.read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["run_started"]
    timeline.close()
    timeline.close()  # twice is fine
    with pytest.raises(TimelineError, match="closed"):
        timeline.event("late")


def test_batched_records_reach_the_disk_within_the_delay(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with Timeline(path, flush_delay=0.05) as timeline:
        timeline.event("run_started", t=0)
        deadline = time.monotonic() + 5
        while not path.read_text() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert path.read_text().count("\n") == 1, "the record was not flushed within 5 s"
    assert path.read_text().count("\n") == 1


def test_load_reads_back_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with Timeline(path) as timeline:
        timeline.event("run_started", t=0, nodes={"edge": ["edge-1", "edge-2"]}, targets={"half": ["edge-2"]})
        timeline.event("steady_state", t=0.5, phase="before", baseline={"edge": 7})
        timeline.sample("edge-1", service="edge", healthy=True, version=7, t=1)
        timeline.event("step_started", step="push", t=2)
        timeline.traffic("edge-2", service="edge", ok=True, latency=0.01, t=2.5)
        timeline.event("step_started", step="push", t=3)
        timeline.event("run_finished", t=4)
    loaded = Timeline.load(path)
    assert loaded.records == timeline.records
    assert [r["kind"] for r in loaded.of_kind("sample")] == ["sample"]
    assert len(loaded.of_kind("event")) == 5 and len(loaded.events("step_started")) == 2
    assert loaded.step_started("push") == 2 and loaded.step_started("rollback") is None
    assert loaded.step_finished("push") is None
    assert loaded.nodes() == {"edge": ["edge-1", "edge-2"]}
    assert loaded.targets() == {"half": ["edge-2"]}
    assert loaded.baseline() == {"edge": 7}
    assert loaded.end == 4 and loaded.finished


def test_without_run_started_the_nodes_come_from_the_samples() -> None:
    timeline = Timeline()
    timeline.sample("edge-2", service="edge", healthy=True, t=0)
    timeline.sample("cp-1", service="cp", healthy=True, t=0)
    timeline.sample("edge-1", service="edge", healthy=True, t=1)
    assert timeline.nodes() == {"edge": ["edge-2", "edge-1"], "cp": ["cp-1"]}
    assert timeline.targets() == {} and timeline.baseline() == {} and not timeline.finished


def test_since_returns_what_was_appended_after_a_position() -> None:
    timeline = Timeline()
    for t in range(5):
        timeline.event("tick", t=t)
    assert [r["seq"] for r in timeline.since(3)] == [3, 4]
    assert timeline.since(5) == []


def test_a_line_cut_short_at_the_end_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text('{"kind":"event","event":"run_started","t":0,"seq":0}\n{"kind":"sam')
    assert len(Timeline.load(path)) == 1


def test_a_bad_line_in_the_middle_is_named(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text('{"kind":"event","t":0}\nnot json\n{"kind":"event","t":1}\n')
    with pytest.raises(TimelineError, match=r"run\.jsonl:2:1: expected a JSON record, found Expecting value"):
        Timeline.load(path)
    path.write_text('{"kind":"event","t":0}\n[1, 2]\n')
    with pytest.raises(TimelineError, match=r"run\.jsonl:2:1: expected a record with t and kind"):
        Timeline.load(path)
    with pytest.raises(TimelineError, match="expected a readable timeline file"):
        Timeline.load(tmp_path / "missing.jsonl")


def test_majority_versions_takes_each_services_most_common_version():
    from chaos.observe.timeline import majority_versions

    samples = [{"service": "edge", "version": 1}, {"service": "edge", "version": 2}, {"service": "edge", "version": 1},
               {"service": "controlplane", "version": 3}, {"service": "origin", "version": None}]
    assert majority_versions(samples) == {"edge": 1, "controlplane": 3}
