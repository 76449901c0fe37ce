"""Gauges: the current value of one condition's quantity, kept up to date incrementally.

A gauge subscribes to the nodes of its subject (a service or a target) in
`FleetState` and adjusts running counters when one of them changes, so
reading its value at an instant costs O(1) whatever the fleet's size.

A gauge's value is None when the state cannot tell yet ("unknown"): a node
of the subject has no sample yet, the subject has no nodes, the baseline or
latest version it refers to is not known yet, or a latency has no
successful request in its window. Temporal operators skip unknown instants.

Window quantities look at traffic records with t in (now - window, now].
Percentiles use the nearest-rank method over successful requests' latencies.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from typing import Any

from chaos.invariants.state import FleetState, Record
from chaos.scenario.model import FRACTION_QUANTITIES, WINDOW_QUANTITIES, Condition
from chaos.scenario.selection import natural_key

_UNSAMPLED, _PENDING = "unsampled", "pending"


def gauge_key(condition: Condition) -> tuple[Any, ...]:
    """Conditions with equal keys can share one gauge."""
    threshold = condition.value if condition.quantity.startswith("latency") else None
    return (condition.quantity, condition.subject, condition.on_version, condition.where, condition.window, threshold)


def make_gauge(condition: Condition, state: FleetState) -> Gauge:
    if condition.quantity in FRACTION_QUANTITIES:
        return FractionGauge(condition, state)
    if condition.quantity in WINDOW_QUANTITIES:
        return WindowGauge(condition, state)
    return RestartsGauge(condition, state)


def _sorted(nodes: Any) -> list[str]:
    return sorted(nodes, key=natural_key)


class Gauge:
    """Base: the value of `condition.quantity` over the nodes of `condition.subject`."""

    def __init__(self, condition: Condition, state: FleetState) -> None:
        self.condition = condition
        self.state = state
        self.members: list[str] = []
        # Bumped whenever the value may have changed, so checks can skip unchanged instants.
        self.version = 0
        state.watch_membership(self)

    def value(self) -> float | None:
        raise NotImplementedError

    def unknown_reason(self) -> str:
        return f"{self.condition.subject} names no service or target of this run"

    def detail(self) -> str:
        """The counts behind the value, e.g. `3/10`."""
        return ""

    def nodes(self, *, high: bool) -> list[str]:
        """The nodes pushing the value up (`high`) or holding it down."""
        raise NotImplementedError

    def advance(self, t: float) -> None:
        """Move to instant `t` (window gauges let old records go)."""

    def members_changed(self) -> None:
        raise NotImplementedError


class FractionGauge(Gauge):
    """healthy / unhealthy / serving / looping: the share of nodes that pass, with on_version and where."""

    def __init__(self, condition: Condition, state: FleetState) -> None:
        super().__init__(condition, state)
        self.quantity = condition.quantity
        self.status: dict[str, Any] = {}
        self.passing = self.unsampled = self.pending = 0
        if condition.on_version is not None and isinstance(condition.on_version, str):
            state.watch_versions(self)
        self.members_changed()

    def members_changed(self) -> None:
        for node in self.members:
            self.state.unwatch_node(node, self)
            if self.quantity == "serving":
                self.state.unwatch_traffic(node, self)
        self.members = list(dict.fromkeys(self.state.members(self.condition.subject)))
        self.version += 1
        self.status = {}
        self.passing, self.unsampled, self.pending = 0, len(self.members), 0
        for node in self.members:
            self.status[node] = _UNSAMPLED
            self.state.watch_node(node, self)
            if self.quantity == "serving":
                self.state.watch_traffic(node, self)
            self.node_changed(node, 0.0)

    def versions_changed(self, t: float) -> None:
        for node in self.members:
            self.node_changed(node, t)

    def traffic_added(self, record: Record, t: float) -> None:
        self.node_changed(record["node"], t)

    def node_changed(self, node: str, t: float) -> None:
        new = self._status(node)
        old = self.status[node]
        if new is old:
            return
        self.version += 1
        self.status[node] = new
        for status, step in ((old, -1), (new, 1)):
            if status is True:
                self.passing += step
            elif status is _UNSAMPLED:
                self.unsampled += step
            elif status is _PENDING:
                self.pending += step

    def _status(self, node: str) -> Any:
        state = self.state
        sample = state.sample.get(node)
        if sample is None:
            return _UNSAMPLED
        quantity = self.quantity
        if quantity == "healthy":
            passes = sample.get("healthy") is True
        elif quantity == "unhealthy":
            passes = sample.get("healthy") is not True
        elif quantity == "serving":
            ok = state.traffic_ok.get(node)
            passes = ok if ok is not None else sample.get("healthy") is True
        else:
            passes = state.looping(node)
        condition = self.condition
        if condition.on_version is not None:
            wanted = state.version_wanted(node, condition.on_version)
            if wanted is None:
                return _PENDING
            passes = passes and sample.get("version") == wanted
        if passes and condition.where:
            health = sample.get("health")
            passes = all(test.matches(health) for test in condition.where)
        return passes

    def value(self) -> float | None:
        if not self.members or self.unsampled or self.pending:
            return None
        return self.passing / len(self.members)

    def unknown_reason(self) -> str:
        subject = self.condition.subject
        if not self.members:
            return super().unknown_reason() if not self.state.knows(subject) else f"{subject} has no nodes"
        if self.unsampled:
            missing = _sorted(n for n, s in self.status.items() if s is _UNSAMPLED)
            return f"{len(missing)} of {len(self.members)} nodes of {subject} had no sample yet ({', '.join(missing[:5])})"
        return f"the {self.condition.on_version} version of {subject} was not known yet"

    def detail(self) -> str:
        return f"{self.passing}/{len(self.members)}"

    def nodes(self, *, high: bool) -> list[str]:
        return _sorted(n for n, s in self.status.items() if (s is True) == high)


class RestartsGauge(Gauge):
    """restarts: how many times the subject's nodes restarted since the run started."""

    def __init__(self, condition: Condition, state: FleetState) -> None:
        super().__init__(condition, state)
        self.counts: dict[str, int] = {}
        self.total = 0
        self.members_changed()

    def members_changed(self) -> None:
        for node in self.members:
            self.state.unwatch_node(node, self)
        self.members = list(dict.fromkeys(self.state.members(self.condition.subject)))
        self.version += 1
        self.counts, self.total = {}, 0
        for node in self.members:
            self.state.watch_node(node, self)
            self.counts[node] = 0
            self.node_changed(node, 0.0)

    def node_changed(self, node: str, t: float) -> None:
        count = self.state.restarts_since_start.get(node, 0)
        if count == self.counts[node]:
            return
        self.version += 1
        self.total += count - self.counts[node]
        self.counts[node] = count

    def value(self) -> float | None:
        return float(self.total)

    def detail(self) -> str:
        restarted = sum(1 for c in self.counts.values() if c)
        return f"{self.total} restarts over {restarted} of {len(self.members)} nodes"

    def nodes(self, *, high: bool) -> list[str]:
        return _sorted(n for n, c in self.counts.items() if (c > 0) == high)


class WindowGauge(Gauge):
    """error_rate / wrong_results / latency_p50 / latency_p99 over the traffic of the last `window` seconds."""

    def __init__(self, condition: Condition, state: FleetState) -> None:
        super().__init__(condition, state)
        self.quantity = condition.quantity
        self.window = condition.window or 10.0
        self.threshold = condition.value
        self.percentile = {"latency_p50": 0.5, "latency_p99": 0.99}.get(self.quantity)
        # (t, node, ok, wrong, latency) of the requests in the window, oldest first
        self.entries: deque[tuple[float, str, bool, bool, float | None]] = deque()
        self.total = self.failed = self.succeeded = self.wrong = 0
        self.latencies: list[float] = []
        self.per_node: dict[str, list[int]] = {}  # node -> [requests, failed, wrong, slow]
        self.members_changed()

    def members_changed(self) -> None:
        for node in self.members:
            self.state.unwatch_traffic(node, self)
        self.members = list(dict.fromkeys(self.state.members(self.condition.subject)))
        for node in self.members:
            self.state.watch_traffic(node, self)
        self.version += 1
        member_set = set(self.members)
        kept = [e for e in self.entries if e[1] in member_set]
        self.entries = deque()
        self.total = self.failed = self.succeeded = self.wrong = 0
        self.latencies, self.per_node = [], {}
        for entry in kept:
            self._add(entry)

    def traffic_added(self, record: Record, t: float) -> None:
        latency = record.get("latency")
        ok = bool(record.get("ok"))
        self._add((t, record["node"], ok, ok and bool(record.get("wrong")), latency if ok else None))

    def _add(self, entry: tuple[float, str, bool, bool, float | None]) -> None:
        _, node, ok, wrong, latency = entry
        self.version += 1
        self.entries.append(entry)
        counts = self.per_node.setdefault(node, [0, 0, 0, 0])
        counts[0] += 1
        self.total += 1
        if not ok:
            self.failed += 1
            counts[1] += 1
            return
        self.succeeded += 1
        if wrong:
            self.wrong += 1
            counts[2] += 1
        if latency is not None and self.percentile is not None:
            insort(self.latencies, latency)
            if latency > self.threshold:
                counts[3] += 1

    def advance(self, t: float) -> None:
        horizon = t - self.window
        entries = self.entries
        while entries and entries[0][0] <= horizon:
            self.version += 1
            _, node, ok, wrong, latency = entries.popleft()
            counts = self.per_node[node]
            counts[0] -= 1
            self.total -= 1
            if not ok:
                self.failed -= 1
                counts[1] -= 1
            else:
                self.succeeded -= 1
                if wrong:
                    self.wrong -= 1
                    counts[2] -= 1
                if latency is not None and self.percentile is not None:
                    del self.latencies[bisect_left(self.latencies, latency)]
                    if latency > self.threshold:
                        counts[3] -= 1
            if counts[0] == 0:
                del self.per_node[node]

    def value(self) -> float | None:
        if self.quantity == "error_rate":
            return self.failed / self.total if self.total else 0.0
        if self.quantity == "wrong_results":
            return self.wrong / self.succeeded if self.succeeded else 0.0
        if not self.latencies:
            return None
        rank = max(1, math.ceil(self.percentile * len(self.latencies) - 1e-9))  # type: ignore[operator]
        return self.latencies[rank - 1]

    def unknown_reason(self) -> str:
        return f"no successful request to {self.condition.subject} in a {self.window:g}s window"

    def detail(self) -> str:
        if self.quantity == "error_rate":
            return f"{self.failed}/{self.total} requests failed in {self.window:g}s"
        if self.quantity == "wrong_results":
            return f"{self.wrong}/{self.succeeded} successful responses wrong in {self.window:g}s"
        return f"{self.quantity[-3:]} of {len(self.latencies)} successful requests in {self.window:g}s"

    def nodes(self, *, high: bool) -> list[str]:
        column = {"error_rate": 1, "wrong_results": 2}.get(self.quantity, 3)
        return _sorted(n for n, counts in self.per_node.items() if (counts[column] > 0) == high)
