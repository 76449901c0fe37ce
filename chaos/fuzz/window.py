"""The records of a fuzz run, and each example's window onto them.

One recorder watches the warm fleet for the whole run. Its records go to a
`Feed`, which stands in for the run's timeline: it streams every record to
the run's JSON-lines timeline file, keeps the latest sample of each node and
the last seconds of traffic (for the steady-state check between examples),
and copies each record into the open `Window`, if any.

A window is one example's own timeline, in memory: it opens with the run's
nodes and targets, the baseline versions, and each node's latest sample and
traffic outcome (so restarts and versions are counted from the example's
start, and serving is what the traffic said last), then
receives the records as they come. Its invariants are checked live as it
fills, so a violated `always` stops the example at once, and decided at the
end exactly as `evaluate_all` would decide them over the window. Keeping
only one example's records in memory is what lets a run of a thousand
examples last all night.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chaos.invariants import LiveChecker, evaluate_all
from chaos.invariants.verdict import Verdict
from chaos.observe.timeline import Record, Timeline, majority_versions
from chaos.scenario import Invariant

# Traffic kept for the steady-state check, and the part of it that counts as "now".
RECENT_TRAFFIC = 5.0
AT_REST = 1.0


class Feed:
    """Stands in for the run's Timeline for the recorder (same `sample`, `traffic`, `event` methods)."""

    def __init__(self, path: str | Path | None, *, nodes: dict[str, list[str]], targets: dict[str, list[str]]) -> None:
        self.path = Path(path) if path is not None else None
        self.nodes = nodes
        self.targets = targets
        self._file = self.path.open("w", encoding="utf-8") if self.path is not None else None
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._seq = 0
        self._last_t = 0.0
        self._latest: dict[str, Record] = {}
        self._latest_traffic: dict[str, Record] = {}
        self._traffic: deque[Record] = deque()
        self._window: Window | None = None
        self.closed = False

    # -- the Timeline's writing interface -------------------------------------

    def now(self) -> float:
        return time.monotonic() - self._started

    def append(self, record: Record) -> Record:
        stored = dict(record)
        with self._lock:
            if self.closed:
                return stored
            t = max(self.now(), self._last_t)
            self._last_t = stored["t"] = t
            stored["seq"] = self._seq
            self._seq += 1
            if self._file is not None:
                self._file.write(json.dumps(stored, separators=(",", ":"), default=str) + "\n")
            kind = stored["kind"]
            if kind == "sample":
                self._latest[stored["node"]] = stored
            elif kind == "traffic":
                self._latest_traffic[stored["node"]] = stored
                self._traffic.append(stored)
                while self._traffic and self._traffic[0]["t"] < t - RECENT_TRAFFIC:
                    self._traffic.popleft()
            window = self._window
        if window is not None:
            window.add(stored)
        return stored

    def event(self, name: str, *, t: float | None = None, **fields: Any) -> Record:
        return self.append({"kind": "event", "event": name, **fields})

    def sample(self, node: str, *, service: str, healthy: bool, container: str = "running", version: int | None = None,
               health: dict[str, Any] | None = None, restarts: int = 0, t: float | None = None) -> Record:
        return self.append({"kind": "sample", "node": node, "service": service, "container": container,
                            "healthy": healthy, "version": version, "health": health, "restarts": restarts})

    def traffic(self, node: str, *, service: str, ok: bool, status: int | None = None, latency: float | None = None,
                wrong: bool = False, t: float | None = None) -> Record:
        return self.append({"kind": "traffic", "node": node, "service": service, "ok": ok, "status": status,
                            "latency": latency, "wrong": wrong})

    def flush(self) -> None:
        with self._lock:
            if self._file is not None and not self._file.closed:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            if self._file is not None and not self._file.closed:
                self._file.close()

    # -- what the fuzzer asks -------------------------------------------------

    def latest(self) -> dict[str, Record]:
        """The latest sample of each node that has one."""
        with self._lock:
            return dict(self._latest)

    def fresh_since(self, t: float) -> bool:
        """Whether every node has a sample taken after time `t`."""
        latest = self.latest()
        return all(name in latest and latest[name]["t"] > t for names in self.nodes.values() for name in names)

    def snapshot(self, *, since: float = 0.0) -> Timeline:
        """A one-instant timeline of the fleet now: the latest samples and the traffic of the last `AT_REST`
        seconds (none from before `since`), all at one time, with the versions most nodes are on as the baseline."""
        with self._lock:
            samples = list(self._latest.values())
            t = self._last_t
            traffic = [r for r in self._traffic if r["t"] > max(since, t - AT_REST)]
        timeline = Timeline()
        timeline.append({"kind": "event", "event": "run_started", "t": t, "nodes": self.nodes, "targets": self.targets})
        timeline.append({"kind": "event", "event": "steady_state", "t": t, "phase": "before",
                         "baseline": majority_versions(samples)})
        for record in samples + traffic:
            timeline.append({**record, "t": t})
        return timeline

    def open_window(self, invariants: Sequence[Invariant], *, baseline: dict[str, int]) -> Window:
        with self._lock:
            t = self._last_t
            # Each node's last traffic outcome too: `serving` is about traffic, not about one slow health check.
            latest = list(self._latest.values()) + list(self._latest_traffic.values())
        window = Window(invariants, nodes=self.nodes, targets=self.targets, baseline=baseline, start=t,
                        latest=latest)
        with self._lock:
            self._window = window
        return window

    def close_window(self, window: Window) -> None:
        with self._lock:
            if self._window is window:
                self._window = None


def at_rest(invariants: Sequence[Invariant], snapshot: Timeline) -> tuple[list[str], list[str]]:
    """Which always/never invariants fail in a one-instant snapshot: (their conditions, the nodes at fault)."""
    if not invariants:
        return [], []
    verdicts = evaluate_all(list(invariants), snapshot)
    failing: list[str] = []
    nodes: list[str] = []
    for invariant, verdict in zip(invariants, verdicts):
        # An instant that cannot be judged (a node without a sample) is not a steady one either.
        if not verdict.held or verdict.closest is None:
            shown = "" if verdict.closest is None else f" (was {verdict.closest:g})"
            failing.append(f"{invariant.operator} {invariant.condition.describe()}{shown}")
            nodes += [n for n in verdict.nodes if n not in nodes]
    return failing, nodes


class Window:
    """One example's timeline (in memory), with its invariants checked as it fills."""

    def __init__(self, invariants: Sequence[Invariant], *, nodes: dict[str, list[str]], targets: dict[str, list[str]],
                 baseline: dict[str, int], start: float, latest: list[Record]) -> None:
        self.invariants = list(invariants)
        self.start = start
        self.timeline = Timeline()
        self.timeline.append({"kind": "event", "event": "run_started", "t": start, "nodes": nodes, "targets": targets})
        self.timeline.append({"kind": "event", "event": "steady_state", "t": start, "phase": "before",
                              "baseline": baseline})
        for record in latest:
            self.timeline.append({**record, "t": start})
        self.checker = LiveChecker(self.invariants, self.timeline)
        self.decided: dict[str, Verdict] = {}
        self._finished = False

    def add(self, record: Record) -> None:
        if not self._finished:
            self.timeline.append(record)

    def update(self) -> list[Verdict]:
        """Verdicts decided since the last call."""
        new = self.checker.update()
        for verdict in new:
            self.decided[verdict.invariant] = verdict
        return new

    @property
    def violated(self) -> list[Verdict]:
        return [v for v in self.decided.values() if not v.held]

    @property
    def pending(self) -> list[str]:
        return self.checker.pending

    def finish(self, t: float) -> list[Verdict]:
        """Close the window at time `t` and decide every invariant; verdicts in the invariants' order."""
        self._finished = True
        self.timeline.append({"kind": "event", "event": "run_finished", "t": t})
        for verdict in self.checker.finish():
            self.decided[verdict.invariant] = verdict
        return [self.decided[i.name] for i in self.invariants]

    def records(self) -> list[Record]:
        return self.timeline.records

    def only_silence(self, verdicts: Sequence[Verdict]) -> bool:
        """Whether the violations rest on silence alone: the nodes at fault only failed to answer (a health check
        or a request that timed out) while their containers ran, and never answered wrongly, restarted or stopped.

        That is what a busy machine looks like too, so such a failure is worth a second look; an answer that
        says something is wrong, a restart or a stopped container is evidence enough.
        """
        violated = [v for v in verdicts if not v.held]
        blamed = {n for v in violated for n in v.nodes}
        if not violated or not blamed:
            return False
        by_name = {i.name: i for i in self.invariants}
        if any(by_name[v.invariant].condition.where for v in violated if v.invariant in by_name):
            return False
        first_restarts: dict[str, int] = {}
        for record in self.timeline.records:
            node = record.get("node")
            if node not in blamed:
                continue
            if record["kind"] == "sample":
                restarts = record.get("restarts") or 0
                if restarts > first_restarts.setdefault(node, restarts):
                    return False
                if record.get("container") != "running":
                    return False
                if not record.get("healthy") and record.get("health") is not None:
                    return False
            elif record["kind"] == "traffic":
                if record.get("status") is not None and (not record.get("ok") or record.get("wrong")):
                    return False
        return True
