"""The timeline: every probe sample and harness event of one run, in order.

Records are plain dicts, so the journal, the reports and the invariants read
the same thing the recorder wrote. Each has `seq` (0, 1, 2, ... in append
order), `t` (seconds since the run started) and `kind`:

    sample    one per node per tick: node, service, container, healthy, version, health, restarts
    traffic   one per traffic probe request: node, service, ok, status, latency, wrong
    event     a harness event: event (its name) and the event's own fields

`t` never decreases along `seq`: the invariants evaluate records in order,
so a record appended with an earlier `t` than the one before it (two probe
threads racing for the lock) is stamped with the later time. A record
without `t` gets the timeline's clock.

The timeline can stream each record as one JSON line to a file as it is
appended, flushed at once or within `flush_delay` seconds, so a run killed
half-way still leaves its evidence on disk.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Callable, Iterator

from chaos.errors import UsageError

RECORD_KINDS = ("sample", "traffic", "event")
CONTAINER_STATES = ("running", "restarting", "exited", "paused", "created", "missing")
EVENT_NAMES = (
    "run_started",
    "steady_state",
    "step_started",
    "step_finished",
    "fault_applied",
    "fault_healed",
    "node_restarted",
    "stop_condition",
    "run_finished",
)

Record = dict[str, Any]


def majority_versions(samples: Iterable[Record]) -> dict[str, int]:
    """Service -> the config version most of its sampled nodes are on (services that report none left out)."""
    counts: dict[str, Counter[int]] = {}
    for sample in samples:
        if sample.get("version") is not None:
            counts.setdefault(sample["service"], Counter())[sample["version"]] += 1
    return {service: c.most_common(1)[0][0] for service, c in counts.items()}


class TimelineError(UsageError):
    """A timeline file or record that is not what the harness writes."""


class Timeline:
    """Append-only, thread-safe list of records, optionally streamed to a JSON-lines file.

        timeline = Timeline("run.jsonl")                  # flush every record
        timeline = Timeline("run.jsonl", flush_delay=1)   # flush at most 1 s after a record
        timeline = Timeline()                             # memory only
        timeline.event("step_started", step="push")
        timeline.close()
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        flush_delay: float = 0.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if flush_delay < 0:
            raise ValueError(f"expected flush_delay >= 0 seconds, found {flush_delay!r}")
        self.path = Path(path) if path is not None else None
        self.flush_delay = flush_delay
        started = time.monotonic()
        self._clock = clock or (lambda: time.monotonic() - started)
        self._records: list[Record] = []
        self._events: list[Record] = []
        self._lock = threading.Lock()
        self._last_t = 0.0
        self._file = self.path.open("w", encoding="utf-8") if self.path is not None else None
        self._dirty = False
        self._closed = threading.Event()
        self._flusher: threading.Thread | None = None
        if self._file is not None and flush_delay > 0:
            self._flusher = threading.Thread(target=self._flush_loop, name="timeline-flush", daemon=True)
            self._flusher.start()

    # --- writing ---------------------------------------------------------------

    def append(self, record: Record) -> Record:
        """Add one record (a copy gets `seq`, and `t` if it had none); returns the stored record."""
        kind = record.get("kind")
        if kind not in RECORD_KINDS:
            raise TimelineError(f"expected a record kind among {', '.join(RECORD_KINDS)}, found {kind!r}")
        stored = dict(record)
        with self._lock:
            if self._closed.is_set():
                raise TimelineError(f"expected an open timeline, found {self.path or 'a memory timeline'} closed")
            t = stored.get("t")
            t = self._clock() if t is None else float(t)
            self._last_t = t = max(t, self._last_t)
            stored["seq"], stored["t"] = len(self._records), t
            self._records.append(stored)
            if kind == "event":
                self._events.append(stored)
            if self._file is not None:
                self._file.write(json.dumps(stored, separators=(",", ":"), default=str) + "\n")
                if self.flush_delay == 0:
                    self._file.flush()
                else:
                    self._dirty = True
        return stored

    def event(self, name: str, *, t: float | None = None, **fields: Any) -> Record:
        """Append an event record named `name`."""
        return self.append({"kind": "event", "event": name, "t": t, **fields})

    def sample(
        self,
        node: str,
        *,
        service: str,
        healthy: bool,
        container: str = "running",
        version: int | None = None,
        health: dict[str, Any] | None = None,
        restarts: int = 0,
        t: float | None = None,
    ) -> Record:
        """Append one node's sample."""
        return self.append(
            {
                "kind": "sample",
                "t": t,
                "node": node,
                "service": service,
                "container": container,
                "healthy": healthy,
                "version": version,
                "health": health,
                "restarts": restarts,
            }
        )

    def traffic(
        self,
        node: str,
        *,
        service: str,
        ok: bool,
        status: int | None = None,
        latency: float | None = None,
        wrong: bool = False,
        t: float | None = None,
    ) -> Record:
        """Append one traffic probe request's outcome."""
        return self.append(
            {
                "kind": "traffic",
                "t": t,
                "node": node,
                "service": service,
                "ok": ok,
                "status": status,
                "latency": latency,
                "wrong": wrong,
            }
        )

    def flush(self) -> None:
        with self._lock:
            if self._file is not None and not self._file.closed:
                self._file.flush()
                self._dirty = False

    def close(self) -> None:
        """Flush and close the file; appends after this raise. Safe to call twice."""
        with self._lock:
            self._closed.set()
            if self._file is not None and not self._file.closed:
                self._file.flush()
                self._file.close()
        if self._flusher is not None and self._flusher is not threading.current_thread():
            self._flusher.join(timeout=5)

    def __enter__(self) -> Timeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _flush_loop(self) -> None:
        # Bounded delay: whatever was appended is on disk within flush_delay seconds.
        while not self._closed.wait(self.flush_delay):
            with self._lock:
                if self._dirty and self._file is not None and not self._file.closed:
                    self._file.flush()
                    self._dirty = False

    # --- reading ---------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> Timeline:
        """Read a JSON-lines timeline back (into memory; the result does not write).

        A last line cut short (the run was killed while writing it) is dropped;
        any other line that is not a record is a TimelineError naming file:line.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TimelineError(f"{path}: expected a readable timeline file, found {exc.strerror or exc}") from None
        timeline = cls()
        lines = text.split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                if number == len(lines):
                    break  # no newline after it: cut short by a crash
                raise TimelineError(f"{path}:{number}:{exc.colno}: expected a JSON record, found {exc.msg}") from None
            if not isinstance(record, dict) or record.get("kind") not in RECORD_KINDS or "t" not in record:
                raise TimelineError(
                    f"{path}:{number}:1: expected a record with t and kind ({', '.join(RECORD_KINDS)}), "
                    f"found {line[:60]!r}"
                )
            timeline._adopt(record)
        return timeline

    def _adopt(self, record: Record) -> None:
        # Loading keeps the file's seq numbers, which reports and verdicts refer to.
        record.setdefault("seq", len(self._records))
        record["t"] = self._last_t = max(float(record["t"]), self._last_t)
        self._records.append(record)
        if record["kind"] == "event":
            self._events.append(record)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __getitem__(self, index: int) -> Record:
        return self._records[index]

    @property
    def records(self) -> list[Record]:
        """A snapshot of all records, in order."""
        with self._lock:
            return list(self._records)

    def since(self, index: int) -> list[Record]:
        """The records from position `index` on (for readers that follow a live timeline)."""
        with self._lock:
            return self._records[index:]

    def of_kind(self, kind: str) -> list[Record]:
        """All records of one kind: sample, traffic or event."""
        if kind == "event":
            with self._lock:
                return list(self._events)
        return [r for r in self.records if r["kind"] == kind]

    def events(self, name: str | None = None) -> list[Record]:
        """Event records, all of them or those named `name`."""
        with self._lock:
            return [e for e in self._events if name is None or e.get("event") == name]

    def first_event(self, name: str, **match: Any) -> Record | None:
        """The first event named `name` whose fields include `match`, or None."""
        with self._lock:
            for e in self._events:
                if e.get("event") == name and all(e.get(k) == v for k, v in match.items()):
                    return e
        return None

    def step_started(self, step_id: str) -> float | None:
        """Time of the first `step_started` of `step_id`, or None when it never started."""
        event = self.first_event("step_started", step=step_id)
        return None if event is None else event["t"]

    def step_finished(self, step_id: str) -> float | None:
        event = self.first_event("step_finished", step=step_id)
        return None if event is None else event["t"]

    def nodes(self) -> dict[str, list[str]]:
        """Service -> node names, from `run_started`, or from the samples when it is missing."""
        started = self.first_event("run_started")
        if started is not None and isinstance(started.get("nodes"), dict):
            return {service: list(names) for service, names in started["nodes"].items()}
        found: dict[str, list[str]] = {}
        for record in self.records:
            if record["kind"] == "sample" and record["node"] not in found.setdefault(record["service"], []):
                found[record["service"]].append(record["node"])
        return found

    def targets(self) -> dict[str, list[str]]:
        """Target name -> node names, from `run_started`."""
        started = self.first_event("run_started")
        if started is None or not isinstance(started.get("targets"), dict):
            return {}
        return {name: list(names) for name, names in started["targets"].items()}

    def baseline(self) -> dict[str, int]:
        """Service -> baseline version, from the first `steady_state` event that carries one."""
        with self._lock:
            for e in self._events:
                if e.get("event") == "steady_state" and isinstance(e.get("baseline"), dict):
                    return dict(e["baseline"])
        return {}

    @property
    def end(self) -> float:
        """The time of the last record (0.0 when empty)."""
        with self._lock:
            return self._records[-1]["t"] if self._records else 0.0

    @property
    def finished(self) -> bool:
        """Whether the run recorded `run_finished`."""
        return self.first_event("run_finished") is not None
