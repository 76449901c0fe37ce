"""Network faults on the reference fleet: per-node links, the four ways to lose the control plane,
latency that shows only where it was put, and every link and node fault firing and healing."""

from __future__ import annotations

import http.client
import time

import pytest

from chaos.faults.factory import make_fault
from chaos.faults.feature_file import feature_file
from chaos.fleet.health import http_json

from fleet_polling import wait_for


def edge_health(fleet) -> dict[str, dict]:
    return {s.node: (s.health.body or {}) for s in fleet.status() if s.service == "edge"}


def through(fleet, node: str, *, timeout: float = 8.0) -> tuple[int | None, float]:
    """One request through an edge node: its status (None if no answer) and how long it took."""
    started = time.monotonic()
    try:
        status, _, _ = http_json(fleet.nodes[node].port(8080), "/page", timeout=timeout)
    except (OSError, http.client.HTTPException):
        status = None
    return status, time.monotonic() - started


def test_every_edge_node_has_its_own_proxies(start_fleet):
    fleet = start_fleet(edges=3)
    proxies = fleet.proxy_client().proxies()
    assert sorted(proxies) == sorted(f"edge-{i}--{t}" for i in (1, 2, 3) for t in ("controlplane", "origin"))
    assert all(p.enabled and p.upstream.split(":")[0] in ("controlplane", "origin") for p in proxies.values())
    env = fleet.client.api.inspect_container(fleet.nodes["edge-2"].container)["Config"]["Env"]
    port = next(p.listen_port for name, p in proxies.items() if name == "edge-2--controlplane")
    assert f"CONTROL_PLANE_URL=http://toxiproxy:{port}" in env


@pytest.mark.parametrize("mode", ["blackhole", "refuse", "pause", "partition"])
def test_control_plane_unreachable_nodes_keep_serving_and_converge_after_heal(start_fleet, mode):
    fleet = start_fleet(edges=10, edge_env={"FETCH_TIMEOUT": "2"})
    cut_nodes = [f"edge-{i}" for i in range(1, 7)]  # 60% of the edge nodes
    cut = make_fault("control_plane_unreachable", nodes=cut_nodes, link="controlplane", params={"mode": mode})
    cut.apply(fleet)
    per_link = mode in ("blackhole", "refuse")
    lost = cut_nodes if per_link else list(edge_health(fleet))
    wait_for(f"{mode}: the cut nodes notice the control plane is gone", lambda: edge_health(fleet),
             lambda h: all(h[n].get("control_plane") == "unreachable" for n in lost), timeout=30)
    if per_link:
        # The control plane still answers the others: a new good file reaches them and only them.
        status, payload = fleet.action("push", body=feature_file(100))
        assert status == 200
        new = payload["version"]
        health = wait_for("uncut nodes take the new version", lambda: edge_health(fleet),
                          lambda h: all(h[f"edge-{i}"]["version"] == new for i in range(7, 11)), timeout=20)
        assert all(health[n]["version"] == 1 for n in cut_nodes)
    for node in lost:
        status, _ = through(fleet, node)
        assert status == 200, f"{node} stopped serving while the control plane was unreachable ({mode})"
        assert edge_health(fleet)[node]["state"] == "ok"
    cut.heal(fleet)
    if not per_link:
        status, payload = fleet.action("push", body=feature_file(100))
        assert status == 200
        new = payload["version"]
    wait_for(f"{mode}: after the heal every node converges to version {new}", lambda: edge_health(fleet),
             lambda h: all(b.get("version") == new and b.get("control_plane") == "ok" for b in h.values()),
             timeout=30)


def test_two_second_latency_shows_in_the_fetch_times_of_those_nodes_only(start_fleet):
    fleet = start_fleet(edges=10)
    slow = ["edge-2", "edge-5", "edge-9"]
    fault = make_fault("latency", nodes=slow, link="controlplane", params={"latency": 2000})
    fault.apply(fleet)
    health = wait_for("slow nodes' last fetch took the latency", lambda: edge_health(fleet),
                      lambda h: all((h[n].get("fetch_ms") or 0) >= 2000 for n in slow), timeout=20)
    time.sleep(2.5)  # another fetch round for everyone
    health = edge_health(fleet)
    for node, body in health.items():
        if node in slow:
            assert body["fetch_ms"] >= 1900, (node, body["fetch_ms"])
        else:
            assert body["fetch_ms"] < 1000, (node, body["fetch_ms"])
    fault.heal(fleet)
    assert not any(fleet.proxy_client().toxics(p) for p in fleet.links.proxies(slow))
    wait_for("fetch times back to normal after the heal", lambda: edge_health(fleet),
             lambda h: all(b["fetch_ms"] < 1000 for b in h.values()), timeout=20)


@pytest.mark.parametrize("kind, params, fires", [
    ("latency", {"latency": 700}, lambda status, took: status == 200 and took >= 1.3),
    ("bandwidth", {"rate": 0}, lambda status, took: status != 200),
    ("slicer", {"average_size": 1, "delay": 30000}, lambda status, took: status != 200 or took >= 1.0),
    ("reset_peer", {"timeout": 0}, lambda status, took: status != 200),
    ("limit_data", {"bytes": 10}, lambda status, took: status != 200),
    ("blackhole", {}, lambda status, took: status != 200),
])
def test_each_link_fault_hits_its_node_only_and_heals(start_fleet, kind, params, fires):
    fleet = start_fleet(edges=2)
    fault = make_fault(kind, nodes=["edge-1"], link="origin", params={**params, "stream": "both"})
    fault.apply(fleet)
    assert fires(*through(fleet, "edge-1")), f"{kind} did not show on edge-1"
    status, took = through(fleet, "edge-2")
    assert status == 200 and took < 1.0, f"{kind} leaked to edge-2"
    fault.heal(fleet)
    status, took = through(fleet, "edge-1")
    assert status == 200 and took < 1.0, f"edge-1 still suffers {kind} after the heal"


@pytest.mark.parametrize("kind", ["kill", "pause", "restart", "disconnect"])
def test_each_node_fault_fires_and_heals(start_fleet, kind):
    fleet = start_fleet(edges=2)
    before = {s.node: s.restarts for s in fleet.status()}

    def started_at() -> str:
        return fleet.client.api.inspect_container(fleet.nodes["edge-1"].container)["State"]["StartedAt"]

    first_start = started_at() if kind == "restart" else None
    fault = make_fault(kind, nodes=["edge-1"])
    fault.apply(fleet)
    if kind == "restart":
        # Running and healthy is also what a restart that never happened looks like: the start time tells.
        assert started_at() != first_start, "edge-1 was not restarted"
        wait_for("edge-1 restarted", lambda: {s.node: s for s in fleet.status()},
                 lambda st: st["edge-1"].state == "running" and st["edge-1"].health.healthy, timeout=20)
    else:
        wait_for(f"edge-1 down after {kind}", lambda: {s.node: s for s in fleet.status()},
                 lambda st: not st["edge-1"].health.healthy or kind == "disconnect", timeout=20)
    if kind == "disconnect":
        networks = fleet.client.api.inspect_container(fleet.nodes["edge-1"].container)["NetworkSettings"]["Networks"]
        assert fleet.network not in networks
    assert through(fleet, "edge-2")[0] == 200
    fault.heal(fleet)
    after = {s.node: s for s in fleet.status()}
    assert after["edge-1"].health.healthy and after["edge-1"].state == "running"
    if kind == "disconnect":
        status, _ = through(fleet, "edge-1")
        assert status == 200  # back on the network, under its names
    assert after["edge-2"].restarts == before["edge-2"]
