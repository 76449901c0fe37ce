"""The fleet: one run's containers on a network of their own.

Every service's replicas become nodes with stable names (`edge-1`,
`edge-2`, ...), reachable inside the fleet by that name and by the service
name, and from the host only through ports published on 127.0.0.1. Every
object carries the run's label; teardown removes by that label, so what a
half-finished start created comes down too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import docker
from docker.errors import APIError, NotFound

from chaos.errors import EnvironmentFailure, UsageError
from chaos.fleet import labels
from chaos.fleet.compose import PROXY_SERVICE, FleetSpec, ServiceSpec, load_fleet
from chaos.fleet.health import HealthReading, http_json, read_health, wait_all
from chaos.fleet.host_ports import host_port_range, loopback_binding
from chaos.fleet.interrupt import shielded
from chaos.fleet.links import LinkTable
from chaos.progress import SILENT, Progress

# Enough for the daemon to overlap work without thrashing two cores.
CREATE_WORKERS = 8
PIDS_LIMIT = 256


@dataclass
class Node:
    """One replica of a service: one container."""

    name: str
    service: str
    container: str  # the container's name
    ports: dict[int, int] = field(default_factory=dict)  # container port -> host port on 127.0.0.1
    id: str | None = None
    ports_read_at: float = 0.0  # monotonic time of the last inspect, to rate-limit re-reads

    def port(self, container_port: int) -> int | None:
        return self.ports.get(container_port)


@dataclass(frozen=True)
class NodeStatus:
    """What `chaos fleet status` shows of a node."""

    node: str
    service: str
    state: str
    restarts: int
    health: HealthReading


def _ports_of(inspect: dict[str, Any]) -> dict[int, int]:
    ports = {}
    for key, bindings in (inspect.get("NetworkSettings", {}).get("Ports") or {}).items():
        for binding in bindings or []:
            if binding.get("HostIp") in ("127.0.0.1", "") and binding.get("HostPort"):
                ports[int(key.split("/")[0])] = int(binding["HostPort"])
    return ports


def _listed_ports(listed: dict[str, Any] | None) -> dict[int, int]:
    """Published ports from a container listing (not an inspect)."""
    return {p["PrivatePort"]: p["PublicPort"] for p in (listed or {}).get("Ports", [])
            if p.get("PublicPort") and p.get("IP") in ("127.0.0.1", None)}


class Fleet:
    """The containers of one run; `with Fleet(...) as fleet:` always tears down."""

    def __init__(self, spec: FleetSpec, *, client: docker.DockerClient, images: dict[str, str] | None = None,
                 run_id: str | None = None, progress: Progress = SILENT) -> None:
        self.spec = spec
        self.client = client
        self.images = images or {}
        self.run_id = run_id or labels.new_run_id()
        self.progress = progress
        self.network = f"cf-{self.run_id}"
        self.host_ports: str | None = None  # the host port range published ports come from; None: Docker's choice
        self.nodes: dict[str, Node] = {}
        for service in spec.services.values():
            for index in range(1, service.replicas + 1):
                name = f"{service.name}-{index}"
                self.nodes[name] = Node(name=name, service=service.name, container=f"cf-{self.run_id}-{name}")
        self.links = LinkTable(spec, {s: [n.name for n in self.service_nodes(s)] for s in spec.services})

    # -- queries ---------------------------------------------------------

    def service_nodes(self, service: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.service == service]

    def _labels(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {labels.RUN: self.run_id, labels.OWNER: labels.owner_value(),
                labels.FLEET_FILE: str(self.spec.path), **(extra or {})}

    # -- life cycle ------------------------------------------------------

    def up(self, *, deadline: float = 60.0) -> None:
        """Create the network and every node, then wait until all are healthy.

        On any failure or interruption the fleet is torn down before the
        error goes on, so a failed start leaks nothing.
        """
        missing = [s for s in self.spec.services if s not in self.images]
        if missing:
            raise UsageError(f"no image for services {', '.join(missing)}: build them first (chaos images build)")
        self.host_ports = host_port_range()
        try:
            self.client.api.create_network(self.network, driver="bridge", labels=self._labels())
            self.progress.say(f"fleet {self.run_id}: starting {len(self.nodes)} nodes on network {self.network}")
            self._start_all(deadline)
            self.wait_healthy(deadline=deadline)
        except BaseException:
            self.progress.done()
            self.down()
            raise

    def _create(self, node: Node) -> None:
        service: ServiceSpec = self.spec.services[node.service]
        api = self.client.api
        restart = {"Name": service.restart} if service.restart != "no" else None
        host_config = api.create_host_config(
            port_bindings={port: loopback_binding(self.host_ports) for port in service.ports},
            mem_limit=service.mem_limit, restart_policy=restart, privileged=False,
            cap_drop=["ALL"], security_opt=["no-new-privileges"], pids_limit=PIDS_LIMIT,
            # Names the fleet does not know must not be forwarded to the host's resolver:
            # the fleet's traffic stays on its own network.
            dns=["127.0.0.1"], dns_opt=["timeout:1", "attempts:1"],
        )
        networking = api.create_networking_config(
            {self.network: api.create_endpoint_config(aliases=[node.service, node.name])})
        created = api.create_container(
            self.images[node.service], command=service.command, name=node.container, hostname=node.name,
            environment={**service.environment, **self.links.env_for(node.name), "NODE_NAME": node.name},
            ports=service.ports,
            labels=self._labels({labels.SERVICE: node.service, labels.NODE: node.name}),
            host_config=host_config, networking_config=networking,
        )
        node.id = created["Id"]

    def _start_all(self, deadline: float) -> None:
        """Create and start every node, the link proxy first and link sources last.

        Nodes that reach out through links must find their proxies listening,
        so they are queued once the proxy node answers and its proxies exist;
        the other nodes keep starting meanwhile, because the daemon starts
        containers one at a time and an idle moment there is time lost.
        """
        sources = {link.source for link in self.spec.links}
        first = sorted((n for n in self.nodes.values() if n.service not in sources),
                       key=lambda n: n.service != PROXY_SERVICE)
        later = [n for n in self.nodes.values() if n.service in sources]
        api = self.client.api

        def create_and_start(node: Node) -> None:
            self._create(node)
            api.start(node.id)

        pool = ThreadPoolExecutor(max_workers=CREATE_WORKERS, thread_name_prefix="create")
        try:
            futures = [pool.submit(create_and_start, node) for node in first]
            if self.links:
                proxies = self.service_nodes(PROXY_SERVICE)
                futures[0].result()  # the proxy node, queued first; its health reads find its port
                self.wait_healthy(deadline=deadline, nodes=[n.name for n in proxies], quiet=True)
                self.proxy_client().populate(link.as_populate() for link in self.links.links)
            futures += [pool.submit(create_and_start, node) for node in later]
            for future in futures:
                future.result()
        except APIError as exc:
            raise EnvironmentFailure(f"fleet {self.run_id}: Docker refused a node: {exc.explanation}") from None
        finally:
            # Queued creations are cancelled; running ones finish, so teardown sees them.
            pool.shutdown(wait=True, cancel_futures=True)
        # One listing gives every node's published ports, instead of an inspect per node.
        by_node = {c["Labels"].get(labels.NODE): c for c in
                   self.client.api.containers(all=True, filters=labels.run_filter(self.run_id))}
        for node in self.nodes.values():
            node.ports = _listed_ports(by_node.get(node.name))

    def proxy_client(self, *, timeout: float = 5.0):
        """A client for this fleet's link proxy (the embedded server or a Toxiproxy image)."""
        from chaos.toxiproxy.client import ToxiproxyClient

        proxies = self.service_nodes(PROXY_SERVICE)
        if not proxies:
            raise UsageError(f"the fleet file {self.spec.path} declares no links (x-chaos.links)")
        port = proxies[0].port(self.spec.health[PROXY_SERVICE].port)
        if port is None:
            self.refresh_ports(proxies[0])
            port = proxies[0].port(self.spec.health[PROXY_SERVICE].port)
        return ToxiproxyClient(f"http://127.0.0.1:{port}", timeout=timeout)

    def refresh_ports(self, node: Node) -> None:
        """Re-read a node's published ports (a restart may move them)."""
        node.ports_read_at = time.monotonic()
        try:
            node.ports = _ports_of(self.client.api.inspect_container(node.container))
        except NotFound:
            node.ports = {}

    def read_health(self, node: Node, *, timeout: float = 1.0) -> HealthReading:
        spec = self.spec.health.get(node.service)
        if spec is None:
            return HealthReading(True, None, None)
        reading = read_health(node.port(spec.port), spec.path, timeout=timeout)
        # A refused connection may mean the node restarted on another port; re-read at most once a second.
        if (reading.error and "refused" in reading.error.lower() or node.port(spec.port) is None) \
                and time.monotonic() - node.ports_read_at > 1.0:
            before = node.ports
            self.refresh_ports(node)
            if node.ports != before:
                reading = read_health(node.port(spec.port), spec.path, timeout=timeout)
        return reading

    def _why_unhealthy(self, name: str, reading: HealthReading) -> str:
        node = self.nodes[name]
        try:
            info = self.client.api.inspect_container(node.container)["State"]
            state = f"container {info['Status']}"
            if info["Status"] in ("exited", "restarting") or info.get("Restarting"):
                state += f" (exit code {info.get('ExitCode')})"
            logs = self.client.api.logs(node.container, tail=3).decode(errors="replace").strip().splitlines()
            tail = f"; log: {logs[-1][:160]}" if logs else ""
        except NotFound:
            state, tail = "container gone", ""
        return f"{state}, health: {reading.describe()}{tail}"

    def wait_healthy(self, *, deadline: float = 60.0, nodes: list[str] | None = None, quiet: bool = False) -> None:
        """Wait until the given nodes (default: all) answer their health endpoint with 2xx."""
        names = nodes or list(self.nodes)
        started = time.monotonic()

        def report(done: int, total: int) -> None:
            self.progress.status(f"fleet {self.run_id}: {done}/{total} nodes healthy "
                                 f"({time.monotonic() - started:.1f}s)")

        wait_all(names, lambda n: self.read_health(self.nodes[n]), deadline=deadline,
                 describe_failure=self._why_unhealthy, on_progress=report)
        self.progress.done()
        if not quiet:
            self.progress.say(f"fleet {self.run_id}: {len(names)} nodes healthy in {time.monotonic() - started:.1f}s")

    def detach(self) -> None:
        """Let this fleet outlive its process (`chaos fleet up`): `chaos clean` then keeps it.

        The mark is a labelled volume created only once the fleet is healthy,
        so a `chaos fleet up` killed mid-start still counts as leftovers.
        """
        self.client.api.create_volume(name=f"cf-{self.run_id}-detached",
                                      labels=self._labels({labels.DETACHED: "1"}))

    def down(self) -> None:
        """Remove every container and network of this run; safe to call twice."""
        with shielded():
            remove_run(self.client, self.run_id, warn=self.progress.warn)

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    # -- operations ------------------------------------------------------

    def status(self) -> list[NodeStatus]:
        """State, restart count and health of every node, read concurrently."""

        def one(node: Node) -> NodeStatus:
            try:
                info = self.client.api.inspect_container(node.container)
                state, restarts = info["State"]["Status"], int(info.get("RestartCount", 0))
                node.ports = _ports_of(info)
            except NotFound:
                state, restarts = "missing", 0
            return NodeStatus(node.name, node.service, state, restarts, self.read_health(node))

        with ThreadPoolExecutor(max_workers=16, thread_name_prefix="status") as pool:
            return list(pool.map(one, self.nodes.values()))

    def action(self, name: str, *, body: bytes | None = None, timeout: float = 10.0) -> tuple[int, Any]:
        """Run a named action of the fleet file (an HTTP request to the first node of its service)."""
        spec = self.spec.actions.get(name)
        if spec is None:
            raise UsageError(f"the fleet file {self.spec.path} declares no action {name!r} "
                             f"(actions: {', '.join(self.spec.actions) or 'none'})")
        target = self.service_nodes(spec.service)
        port = spec.port or self.spec.services[spec.service].ports[0]
        if not target:
            raise UsageError(f"action {name!r}: service {spec.service!r} has no nodes in this fleet")
        node = target[0]
        if node.port(port) is None:
            self.refresh_ports(node)
        try:
            status, _, raw = http_json(node.port(port) or 0, spec.path, method=spec.method, body=body,
                                       timeout=timeout, headers={"Content-Type": "application/json"})
        except OSError as exc:
            raise EnvironmentFailure(f"action {name!r}: {spec.method} {spec.path} on {node.name} failed: {exc}") from None
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    @classmethod
    def attach(cls, client: docker.DockerClient, run_id: str | None = None, *,
               progress: Progress = SILENT) -> Fleet:
        """The fleet of a run that is already up (the only one, when run_id is None)."""
        networks = client.api.networks(filters=labels.run_filter(run_id))
        runs = sorted({n["Labels"][labels.RUN] for n in networks})
        if not runs:
            raise UsageError("no fleet is up" + (f" with run id {run_id}" if run_id else "") +
                             " (start one with: chaos fleet up compose/edgefleet)")
        if len(runs) > 1:
            raise UsageError(f"{len(runs)} fleets are up ({', '.join(runs)}): choose one with --run")
        run = runs[0]
        net = next(n for n in networks if n["Labels"][labels.RUN] == run)
        spec = load_fleet(net["Labels"][labels.FLEET_FILE])
        containers = client.api.containers(all=True, filters=labels.run_filter(run))
        replicas: dict[str, int] = {s: 0 for s in spec.services}
        for c in containers:
            service = c["Labels"].get(labels.SERVICE)
            if service in replicas:
                replicas[service] += 1
        fleet = cls(spec.with_overrides(replicas=replicas), client=client, run_id=run, progress=progress)
        by_node = {c["Labels"].get(labels.NODE): c for c in containers}
        for node in fleet.nodes.values():
            found = by_node.get(node.name)
            if found:
                node.id, node.ports = found["Id"], _listed_ports(found)
        return fleet


def _remove_network(client: docker.DockerClient, network: dict[str, Any], *, seconds: float = 10.0) -> str | None:
    """Remove a network; returns a warning when the daemon keeps an empty one.

    Under load the daemon may take a while to release the endpoints of
    removed containers, so removal is retried. Docker 20.10 can also keep a
    stale endpoint count on a network with no container left (an engine bug
    only a daemon restart clears); that is reported, not raised, because the
    run's containers are gone and its verdict stands. (Force-disconnecting
    the removed containers' names does not clear it: the daemon finds no
    such endpoint.)
    """
    started, delay = time.monotonic(), 0.05
    while True:
        try:
            client.api.remove_network(network["Id"])
            return None
        except NotFound:
            return None
        except APIError as exc:
            try:
                attached = client.api.inspect_network(network["Id"]).get("Containers") or {}
            except NotFound:
                return None
            # Endpoints of removed containers go within a second or two; with no container
            # attached, longer waiting only delays the report of a stale count.
            patience = seconds if attached else min(seconds, 2.0)
            if time.monotonic() - started + delay <= patience:
                time.sleep(delay)
                delay = min(1.0, delay * 2)
                continue
            if attached:
                raise EnvironmentFailure(f"network {network['Name']} could not be removed within {seconds:.0f}s: "
                                         f"{exc.explanation}") from None
            return (f"network {network['Name']} has no container left but the Docker daemon still counts "
                    "endpoints on it (a Docker engine bug); restarting the daemon clears it")


def remove_run(client: docker.DockerClient, run_id: str, *, on_each: Callable[[str], None] | None = None,
               warn: Callable[[str], None] | None = None) -> int:
    """Remove the containers, networks and volumes labelled with this run id; returns how many containers."""
    containers = client.api.containers(all=True, filters=labels.run_filter(run_id))

    def stop_restarts(container: dict[str, Any]) -> None:
        try:
            client.api.update_container(container["Id"], restart_policy={"Name": "no"})
        except (NotFound, APIError):
            pass

    def remove(container: dict[str, Any]) -> None:
        try:
            client.api.remove_container(container["Id"], force=True, v=True)
        except NotFound:
            pass
        if on_each:
            on_each(container["Names"][0].lstrip("/"))

    with ThreadPoolExecutor(max_workers=CREATE_WORKERS, thread_name_prefix="remove") as pool:
        # Force-removing a container while its restart policy brings it back can leave a stale
        # endpoint on the run's network. A listing cannot tell which node of a crash loop is
        # about to restart (one listed running may be exiting), so every restart policy is
        # switched off before any container goes.
        list(pool.map(stop_restarts, containers))
        list(pool.map(remove, containers))
    for network in client.api.networks(filters=labels.run_filter(run_id)):
        warning = _remove_network(client, network)
        if warning and warn:
            warn(warning)
    for volume in client.api.volumes(filters=labels.run_filter(run_id)).get("Volumes") or []:
        try:
            client.api.remove_volume(volume["Name"], force=True)
        except NotFound:
            pass
    return len(containers)
