"""The fleet's state as the timeline says it is at the current instant.

`FleetState` is fed records in order and keeps, per node, what the
invariants need without ever rescanning the timeline: the latest sample,
the latest traffic outcome, restarts since the start, and the restart rises
of the trailing `LOOP_WINDOW` seconds. Gauges (`gauges.py`) subscribe to the
nodes they watch and are told when one of them changes.

Restart loop (`looping`): a node is looping at time t when its restart count
rose at least twice within (t - 30 s, t], or rose at least once within it and
the node is not healthy now. Rises are counted by amount, so one sample that
shows the count up by 2 counts twice; a count that goes down (the container
was recreated) counts as a rise by its new value.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Any, Protocol

LOOP_WINDOW = 30.0

Record = dict[str, Any]


class Watcher(Protocol):
    def node_changed(self, node: str, t: float) -> None: ...


class TrafficWatcher(Protocol):
    def traffic_added(self, record: Record, t: float) -> None: ...


class FleetState:
    """Per-node latest state, built incrementally from timeline records."""

    def __init__(self) -> None:
        self.nodes_by_service: dict[str, list[str]] = {}
        self.targets: dict[str, list[str]] = {}
        self.declared = False  # True once run_started gave the node lists
        self.service_of: dict[str, str] = {}
        self.sample: dict[str, Record] = {}
        self.traffic_ok: dict[str, bool] = {}
        self.restarts_since_start: dict[str, int] = {}
        self.rises: dict[str, deque[tuple[float, int]]] = {}
        self.rises_in_window: dict[str, int] = {}
        self.baseline: dict[str, int] | None = None
        self.latest_version: dict[str, int] = {}
        self._expiries: list[tuple[float, str]] = []
        self._watchers: dict[str, list[Watcher]] = {}
        self._traffic_watchers: dict[str, list[TrafficWatcher]] = {}
        self._membership_watchers: list[Any] = []
        self._version_watchers: list[Any] = []

    # --- subscriptions ---------------------------------------------------------

    def watch_node(self, node: str, watcher: Watcher) -> None:
        self._watchers.setdefault(node, []).append(watcher)

    def unwatch_node(self, node: str, watcher: Watcher) -> None:
        watchers = self._watchers.get(node, [])
        if watcher in watchers:
            watchers.remove(watcher)

    def watch_traffic(self, node: str, watcher: TrafficWatcher) -> None:
        self._traffic_watchers.setdefault(node, []).append(watcher)

    def unwatch_traffic(self, node: str, watcher: TrafficWatcher) -> None:
        watchers = self._traffic_watchers.get(node, [])
        if watcher in watchers:
            watchers.remove(watcher)

    def watch_membership(self, watcher: Any) -> None:
        """`watcher.members_changed()` is called when the node lists change."""
        self._membership_watchers.append(watcher)

    def watch_versions(self, watcher: Any) -> None:
        """`watcher.versions_changed(t)` is called when the baseline or a latest version changes."""
        self._version_watchers.append(watcher)

    # --- questions -------------------------------------------------------------

    def members(self, subject: str) -> list[str]:
        """The nodes of a service or target (empty when it names neither)."""
        if subject in self.targets:
            return self.targets[subject]
        return self.nodes_by_service.get(subject, [])

    def knows(self, subject: str) -> bool:
        return subject in self.targets or subject in self.nodes_by_service

    def looping(self, node: str) -> bool:
        rose = self.rises_in_window.get(node, 0)
        if rose >= 2:
            return True
        sample = self.sample.get(node)
        return rose >= 1 and not (sample is not None and sample.get("healthy") is True)

    def version_wanted(self, node: str, on_version: int | str) -> int | None:
        """The version `on_version` means for this node, or None when not known yet."""
        if not isinstance(on_version, str):
            return on_version
        service = self.service_of.get(node)
        if on_version == "baseline":
            return None if self.baseline is None else self.baseline.get(service)  # type: ignore[arg-type]
        return self.latest_version.get(service)  # type: ignore[arg-type]

    # --- feeding ---------------------------------------------------------------

    def run_started(self, record: Record) -> None:
        nodes = record.get("nodes")
        if not isinstance(nodes, dict):
            return
        self.declared = True
        self.nodes_by_service = {service: list(names) for service, names in nodes.items()}
        self.targets = {name: list(names) for name, names in (record.get("targets") or {}).items()}
        for service, names in self.nodes_by_service.items():
            for name in names:
                self.service_of.setdefault(name, service)
        for watcher in self._membership_watchers:
            watcher.members_changed()

    def steady_state(self, record: Record, t: float) -> None:
        baseline = record.get("baseline")
        if self.baseline is None and isinstance(baseline, dict):
            self.baseline = dict(baseline)
            for watcher in self._version_watchers:
                watcher.versions_changed(t)

    def add_sample(self, record: Record, t: float) -> None:
        node = record["node"]
        service = record.get("service")
        if node not in self.service_of and service is not None:
            self.service_of[node] = service
        if not self.declared and service is not None and node not in self.nodes_by_service.get(service, []):
            # Without run_started the node lists are what the samples have shown so far.
            self.nodes_by_service.setdefault(service, []).append(node)
            for watcher in self._membership_watchers:
                watcher.members_changed()
        previous = self.sample.get(node)
        count = record.get("restarts") or 0
        if previous is None:
            self.restarts_since_start.setdefault(node, 0)
        else:
            before = previous.get("restarts") or 0
            rose = count - before if count >= before else count
            if rose > 0:
                self.restarts_since_start[node] = self.restarts_since_start.get(node, 0) + rose
                self.rises.setdefault(node, deque()).append((t, rose))
                self.rises_in_window[node] = self.rises_in_window.get(node, 0) + rose
                heapq.heappush(self._expiries, (t + LOOP_WINDOW, node))
        self.sample[node] = record
        version = record.get("version")
        if isinstance(version, int) and not isinstance(version, bool) and service is not None:
            if version > self.latest_version.get(service, -1):
                self.latest_version[service] = version
                for watcher in self._version_watchers:
                    watcher.versions_changed(t)
        for watcher in self._watchers.get(node, ()):
            watcher.node_changed(node, t)

    def add_traffic(self, record: Record, t: float) -> None:
        node = record["node"]
        if node not in self.service_of and record.get("service") is not None:
            self.service_of[node] = record["service"]
        self.traffic_ok[node] = bool(record.get("ok"))
        for watcher in self._traffic_watchers.get(node, ()):
            watcher.traffic_added(record, t)

    def advance(self, t: float) -> None:
        """Move the clock to `t`: restart rises older than the loop window stop counting."""
        expiries = self._expiries
        while expiries and expiries[0][0] <= t:
            _, node = heapq.heappop(expiries)
            rises = self.rises[node]
            while rises and rises[0][0] + LOOP_WINDOW <= t:
                _, amount = rises.popleft()
                self.rises_in_window[node] -= amount
            for watcher in self._watchers.get(node, ()):
                watcher.node_changed(node, t)
