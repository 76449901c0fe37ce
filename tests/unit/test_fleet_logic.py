"""Pure logic of the fleet room: feature files, owners, bounded health waits."""

from __future__ import annotations

import json
import os
import time

import pytest

from chaos.errors import NodeNeverHealthy
from chaos.faults.feature_file import feature_file
from chaos.fleet import labels
from chaos.fleet.health import HealthReading, wait_all


def test_feature_file_has_the_asked_count_and_duplicates():
    data = json.loads(feature_file(400))
    assert len(data["features"]) == 400 and len({f["name"] for f in data["features"]}) == 400
    doubled = json.loads(feature_file(3, duplicates=3))["features"]
    assert [f["name"] for f in doubled] == [f["name"] for f in doubled[:3]] * 2
    assert json.loads(feature_file(0)) == {"features": []}
    with pytest.raises(ValueError):
        feature_file(-1)


def test_owner_of_this_process_is_alive_and_a_dead_pid_is_not():
    assert labels.owner_alive(labels.owner_value())
    host = labels.owner_value().split("/")[0]
    assert not labels.owner_alive(f"{host}/{os.getpid()}/0")  # same pid, another start time
    assert not labels.owner_alive("garbage")
    assert labels.owner_alive("another-host/1/1")  # not ours to judge


def test_wait_all_returns_when_every_probe_is_healthy():
    calls: dict[str, int] = {}

    def probe(name: str) -> HealthReading:
        calls[name] = calls.get(name, 0) + 1
        return HealthReading(calls[name] >= 3, 200, {})

    wait_all(["a", "b"], probe, deadline=5, interval=0.001)
    assert calls == {"a": 3, "b": 3}


def test_wait_all_names_the_node_that_never_became_healthy():
    started = time.monotonic()
    with pytest.raises(NodeNeverHealthy) as caught:
        wait_all(["good", "bad"], lambda n: HealthReading(n == "good", 503, None, None if n == "good" else "refused"),
                 deadline=0.3, interval=0.01)
    assert str(caught.value) == "node bad never became healthy within 0s; last seen: refused"
    assert time.monotonic() - started < 2
