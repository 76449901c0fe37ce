"""Running the checks over a timeline: all at once (`evaluate`) or as it grows (`LiveChecker`).

Both go through one `_Engine`, which reads records in order, keeps the fleet
state incrementally, and closes an instant when a record with a later time
arrives (records with the same `t` form one instant). A live checker
therefore holds back the newest instant until a later record (or the end of
the run) shows it complete, which is what makes its final verdicts equal to
`evaluate`'s however the updates were spaced.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from chaos.invariants.checks import Check
from chaos.invariants.gauges import Gauge, WindowGauge, gauge_key, make_gauge
from chaos.invariants.state import FleetState, Record
from chaos.invariants.verdict import Verdict
from chaos.observe.timeline import Timeline
from chaos.scenario.model import Condition, Invariant


class _Engine:
    def __init__(self, invariants: Sequence[Invariant]) -> None:
        self.state = FleetState()
        self.gauges: dict[tuple[object, ...], Gauge] = {}
        self.window_gauges: list[WindowGauge] = []
        self.checks = [Check(invariant, self._gauge) for invariant in invariants]
        self.open_checks = list(self.checks)
        self.steps: dict[str, float] = {}
        self.group_t: float | None = None
        self.group_seq = -1
        self.end = 0.0
        self.done = False

    def _gauge(self, condition: Condition) -> Gauge:
        key = gauge_key(condition)
        if key not in self.gauges:
            self.gauges[key] = gauge = make_gauge(condition, self.state)
            if isinstance(gauge, WindowGauge):
                self.window_gauges.append(gauge)
        return self.gauges[key]

    def feed(self, records: Iterable[Record]) -> list[Verdict]:
        decided: list[Verdict] = []
        state = self.state
        for record in records:
            if self.done:
                break
            t = record["t"]
            if self.group_t is not None and t > self.group_t:
                decided.extend(self._close(self.group_t, self.group_seq))
            self.group_t, self.group_seq, self.end = t, record.get("seq", self.group_seq + 1), t
            kind = record["kind"]
            if kind == "sample":
                state.add_sample(record, t)
            elif kind == "traffic":
                state.add_traffic(record, t)
            else:
                name = record.get("event")
                if name == "step_started":
                    if isinstance(record.get("step"), str):
                        self.steps.setdefault(record["step"], t)
                elif name == "run_started":
                    state.run_started(record)
                elif name == "steady_state":
                    state.steady_state(record, t)
                elif name == "run_finished":
                    decided.extend(self.finish())
        return decided

    def _close(self, t: float, seq: int) -> list[Verdict]:
        self.state.advance(t)
        for gauge in self.window_gauges:
            gauge.advance(t)
        decided = []
        for check in self.open_checks:
            verdict = check.instant(t, seq, self.steps)
            if verdict is not None:
                decided.append(verdict)
        if decided:
            self.open_checks = [c for c in self.open_checks if c.verdict is None]
        return decided

    def finish(self) -> list[Verdict]:
        if self.done:
            return []
        decided = []
        if self.group_t is not None:
            decided.extend(self._close(self.group_t, self.group_seq))
        self.done = True
        for check in self.open_checks:
            decided.append(check.finish(self.end, self.steps))
        self.open_checks = []
        return decided


def evaluate(invariant: Invariant, timeline: Timeline) -> Verdict:
    """Whether `invariant` held over the whole timeline (as at the end of the run)."""
    return evaluate_all([invariant], timeline)[0]


def evaluate_all(invariants: Sequence[Invariant], timeline: Timeline) -> list[Verdict]:
    """Verdicts for several invariants in one pass over the timeline, in the invariants' order."""
    engine = _Engine(invariants)
    engine.feed(timeline.records)
    engine.finish()
    return [check.verdict for check in engine.checks]  # type: ignore[misc]


class LiveChecker:
    """Checks invariants while the timeline grows, e.g. stop conditions at each tick.

        checker = LiveChecker(scenario.stop_conditions, timeline)
        for verdict in checker.update():      # newly decided since the last call
            if not verdict.held: abort(verdict)
        checker.finish()                      # at the end: decide the rest

    `update()` costs time in proportion to the records appended since the
    last call. always/never are violated as soon as a counterexample's
    instant is complete; eventually is decided when it is satisfied or when
    a record past its deadline arrives. A `run_finished` event, or
    `finish()`, decides everything still open.
    """

    def __init__(self, invariants: Sequence[Invariant], timeline: Timeline) -> None:
        self.timeline = timeline
        self._engine = _Engine(invariants)
        self._read = 0

    def update(self) -> list[Verdict]:
        """Verdicts decided since the last call, in the order they were decided."""
        records = self.timeline.since(self._read)
        self._read += len(records)
        return self._engine.feed(records)

    def finish(self) -> list[Verdict]:
        """Read what is left, then decide every open invariant as at the end of the run."""
        decided = self.update()
        decided.extend(self._engine.finish())
        return decided

    @property
    def verdicts(self) -> list[Verdict]:
        """Every verdict decided so far, in the invariants' order."""
        return [c.verdict for c in self._engine.checks if c.verdict is not None]

    @property
    def pending(self) -> list[str]:
        """Names of the invariants not decided yet."""
        return [c.invariant.name for c in self._engine.checks if c.verdict is None]
