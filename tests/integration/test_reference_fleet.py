"""The reference fleet against real containers: panic loops, rollback, guarded, degrade."""

from __future__ import annotations

import json
import time

from chaos.faults.feature_file import feature_file
from chaos.fleet import labels
from chaos.fleet.health import http_json
from chaos.fleet.host_ports import KERNEL_RANGE

from fleet_polling import wait_for


def edge_view(fleet):
    """node -> (container state, restarts, healthy, version, health state) for every edge node."""
    return {s.node: (s.state, s.restarts, s.health.healthy, (s.health.body or {}).get("version"),
                     (s.health.body or {}).get("state"))
            for s in fleet.status() if s.service == "edge"}


def assert_published_in_the_host_port_range(fleet, docker_client) -> None:
    """Every published port is on 127.0.0.1, in the fleet's range and outside the kernel's ephemeral one."""
    ephemeral_low, ephemeral_high = map(int, KERNEL_RANGE.read_text().split())
    assert fleet.host_ports is not None  # this machine's kernel range leaves room outside it
    low, high = map(int, fleet.host_ports.split("-"))
    for node in fleet.nodes.values():
        bindings = docker_client.api.inspect_container(node.container)["NetworkSettings"]["Ports"] or {}
        ports = [(b["HostIp"], int(b["HostPort"])) for found in bindings.values() for b in found or []]
        assert ports, node.name
        assert all(ip == "127.0.0.1" and low <= port <= high and not ephemeral_low <= port <= ephemeral_high
                   for ip, port in ports), ports


def get_through(fleet, node_name: str):
    node = fleet.nodes[node_name]
    status, headers, raw = http_json(node.port(8080), "/some/page", timeout=3)
    return status, headers, json.loads(raw)


def test_ten_edges_come_up_healthy_with_labels_and_limits(start_fleet, docker_client):
    fleet = start_fleet(edges=10)
    assert sorted(s.service for s in fleet.status() if s.health.healthy) == sorted(
        ["controlplane", "generator", "origin", "toxiproxy"] + ["edge"] * 10)
    for node in fleet.nodes.values():
        info = docker_client.api.inspect_container(node.container)
        assert info["Config"]["Labels"][labels.RUN] == fleet.run_id
        host = info["HostConfig"]
        assert host["Privileged"] is False
        assert host["Memory"] > 0
        assert not any("docker.sock" in m.get("Source", "") for m in info["Mounts"])
    assert_published_in_the_host_port_range(fleet, docker_client)
    net = docker_client.api.inspect_network(fleet.network)
    assert net["Labels"][labels.RUN] == fleet.run_id
    assert {s.node: s.health.body["version"] for s in fleet.status() if s.service == "edge"} == {
        f"edge-{i}": 1 for i in range(1, 11)}


def test_oversized_push_loops_panic_nodes_and_rollback_rescues_them(start_fleet, docker_client):
    fleet = start_fleet(edges=10, edge_env={"EDGE_MODE": "panic"})
    status, payload = fleet.action("push", body=feature_file(400))
    assert status == 200 and payload["version"] == 2

    # Restart counts climb and health fails on every node: a restart loop.
    looping = wait_for("every panic node restarted at least twice and unhealthy",
                       lambda: edge_view(fleet),
                       lambda v: all(r >= 2 and not healthy for _, r, healthy, _, _ in v.values()), timeout=45)
    assert all(state in ("restarting", "running", "exited") for state, *_ in looping.values())

    status, payload = fleet.action("rollback")
    assert status == 200 and payload["version"] == 1
    wait_for("every node healthy on the known good version after rollback", lambda: edge_view(fleet),
             lambda v: all(healthy and version == 1 for _, _, healthy, version, _ in v.values()), timeout=75)
    # Every restart re-published the node's port: still within the range.
    assert_published_in_the_host_port_range(fleet, docker_client)


def test_teardown_switches_every_restart_policy_off_before_any_container_goes(start_fleet, docker_client):
    fleet = start_fleet(edges=3, edge_env={"EDGE_MODE": "panic"})
    fleet.action("push", body=feature_file(400))
    wait_for("every panic node restarted at least once", lambda: edge_view(fleet),
             lambda v: all(r >= 1 for _, r, *_ in v.values()), timeout=45)
    since = time.time() - 1
    fleet.down()  # while the edges loop
    events = list(docker_client.api.events(since=since, until=time.time() + 1, decode=True,
                                           filters={"type": "container", "label": f"{labels.RUN}={fleet.run_id}"}))
    updated = {e["id"]: e["timeNano"] for e in events if e["Action"] == "update"}
    destroyed = {e["id"]: e["timeNano"] for e in events if e["Action"] == "destroy"}
    assert len(destroyed) == len(fleet.nodes)
    assert set(updated) == set(destroyed), "a container was removed with its restart policy still on"
    assert max(updated.values()) < min(destroyed.values())


def test_guarded_nodes_keep_serving_the_old_version_through_the_push(start_fleet):
    fleet = start_fleet(edges=3, edge_env={"EDGE_MODE": "guarded"})
    fleet.action("push", body=feature_file(400))
    view = wait_for("every guarded node reports the rejection", lambda: fleet.status(),
                    lambda st: all((s.health.body or {}).get("rejected_version") == 2
                                   for s in st if s.service == "edge"), timeout=20)
    for s in view:
        if s.service == "edge":
            assert s.health.healthy and s.restarts == 0
            assert s.health.body["version"] == 1 and s.health.body["state"] == "ok"
            assert "400 features" in s.health.body["last_error"]
            status, headers, body = get_through(fleet, s.node)
            assert status == 200 and headers["x-edge-result"] == "ok" and body["score"] > 0


def test_degrade_nodes_keep_serving_with_wrong_results(start_fleet):
    fleet = start_fleet(edges=3, edge_env={"EDGE_MODE": "degrade"})
    before = get_through(fleet, "edge-1")
    assert before[0] == 200 and before[2]["result"] == "ok"
    fleet.action("push", body=feature_file(400))
    wait_for("every degrade node reports the degraded state", lambda: edge_view(fleet),
             lambda v: all(state == "degraded" for *_, state in v.values()), timeout=20)
    for name in ("edge-1", "edge-2", "edge-3"):
        status, headers, body = get_through(fleet, name)
        # Still serving (no error), but the answer is wrong and says so.
        assert status == 200 and headers["x-edge-result"] == "wrong" and body["score"] == 0
    assert all(r == 0 for _, r, *_ in edge_view(fleet).values())


def test_quorum_rollback_stalls_while_most_nodes_loop(start_fleet):
    fleet = start_fleet(edges=5, edge_env={"EDGE_MODE": "panic"}, env={"controlplane": {"ROLLBACK_MODE": "quorum"}})
    fleet.action("push", body=feature_file(400))
    wait_for("panic nodes unhealthy", lambda: edge_view(fleet),
             lambda v: not any(healthy for _, _, healthy, _, _ in v.values()), timeout=30)
    status, payload = fleet.action("rollback")
    assert status == 202 and payload["status"] == "pending" and payload["acks"] == 0
    cp = next(s for s in fleet.status() if s.service == "controlplane")
    assert cp.health.body["active_version"] == 2 and cp.health.body["pending_rollback"]["needed"] == 3
