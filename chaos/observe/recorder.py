"""The recorder: samples every node at a set cadence and builds the timeline.

Each node has its own sampler thread on a fixed-rate schedule, so a node
that hangs (a paused container answers nothing until its timeout) delays
only its own samples. A traffic probe sends requests through each node of
the traffic service at a set rate and records status, latency and whether
the answer was marked wrong.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass

from chaos.fleet.fleet import Fleet, Node
from chaos.observe.containers import ContainerWatch
from chaos.observe.timeline import Timeline

MIN_INTERVAL = 0.1  # 10 Hz: above that, sampling would be mostly thread overhead on two cores


def field_at(body: object, path: str | None) -> object:
    """The value at a dotted path of a JSON object, or None."""
    if path is None:
        return None
    for part in path.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


@dataclass(frozen=True)
class TrafficPlan:
    service: str
    rate: float  # requests per second per node


class Recorder:
    """Samples health, container state and restarts of every node into a timeline."""

    def __init__(self, fleet: Fleet, timeline: Timeline, *, interval: float = 0.25,
                 traffic: TrafficPlan | None = None) -> None:
        if interval < MIN_INTERVAL:
            raise ValueError(f"expected a sampling interval >= {MIN_INTERVAL}s, found {interval}")
        self.fleet = fleet
        self.timeline = timeline
        self.interval = interval
        self.traffic = traffic
        self.containers = ContainerWatch(fleet, timeline)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.sample_times: dict[str, list[float]] = {name: [] for name in fleet.nodes}

    # -- sampling ----------------------------------------------------------

    def _sample(self, node: Node) -> None:
        container, restarts = self.containers.read(node.name)
        reading = self.fleet.read_health(node, timeout=max(0.25, min(1.0, 2 * self.interval)))
        spec = self.fleet.spec.health.get(node.service)
        version = field_at(reading.body, spec.version if spec else None)
        self.timeline.sample(node.name, service=node.service, healthy=reading.healthy, container=container,
                             version=version if isinstance(version, int) else None,
                             health=reading.body, restarts=restarts)

    def _every(self, period: float, work, name: str) -> None:
        """Run `work` on a fixed-rate schedule; a late tick is skipped, not queued."""
        next_at = time.monotonic()
        while not self._stop.is_set():
            work()
            next_at += period
            now = time.monotonic()
            if next_at < now:
                next_at = now + (period - (now - next_at) % period)
            self._stop.wait(next_at - now)

    def _sampler(self, node: Node) -> None:
        times = self.sample_times[node.name]

        def tick() -> None:
            times.append(time.monotonic())
            self._sample(node)

        self._every(self.interval, tick, node.name)

    # -- traffic -----------------------------------------------------------

    def _request(self, node: Node) -> None:
        spec = self.fleet.spec.traffic[node.service]
        port = node.port(spec.port)
        started = time.monotonic()
        status, wrong = None, False
        try:
            if port is None:
                raise ConnectionRefusedError("no published port")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", spec.path)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                wrong = any((resp.getheader(h) or "").lower() == v.lower() for h, v in spec.wrong_header.items())
            finally:
                conn.close()
        except (OSError, http.client.HTTPException):
            pass
        ok = status is not None and 200 <= status < 300
        self.timeline.traffic(node.name, service=node.service, ok=ok, status=status,
                              latency=round(time.monotonic() - started, 6) if ok else None, wrong=ok and wrong)

    # -- life cycle --------------------------------------------------------

    def start(self) -> None:
        self.containers.start()
        for node in self.fleet.nodes.values():
            self._spawn(self._sampler, node, f"sample {node.name}")
        if self.traffic and self.traffic.rate > 0:
            if self.traffic.service not in self.fleet.spec.traffic:
                raise ValueError(f"the fleet file declares no traffic for service {self.traffic.service!r}")
            for node in self.fleet.service_nodes(self.traffic.service):
                self._spawn(lambda n: self._every(1 / self.traffic.rate, lambda: self._request(n), n.name),
                            node, f"traffic {node.name}")

    def _spawn(self, target, node: Node, name: str) -> None:
        thread = threading.Thread(target=target, args=(node,), name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.containers.stop()

    def __enter__(self) -> Recorder:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def achieved_intervals(self) -> list[float]:
        """Every gap between two samples of the same node (for the recorder benchmark)."""
        gaps = []
        for times in self.sample_times.values():
            gaps += [b - a for a, b in zip(times, times[1:])]
        return gaps


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


__all__ = ["Recorder", "TrafficPlan", "field_at", "percentile"]
