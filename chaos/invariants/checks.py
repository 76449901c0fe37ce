"""The temporal operators: one `Check` per invariant, fed the timeline's instants in order.

Semantics (what a verdict means):

- Instants are the distinct record times; the state at an instant includes
  every record at or before it. An instant whose condition is unknown (see
  `gauges.py`) is skipped, as is one where `while` does not hold or is unknown.
- The checked range starts at `after` (the first `step_started` of that step;
  the start of the run, t=0, without `after`) and ends, whichever comes
  first, at `after + within` (inclusive), just before the instant `until`'s
  step starts, or just before the first instant `until`'s condition holds
  (looked for from the range's start on).
- always p: p holds at every checked instant; violated at the first that fails.
  never p: p holds at no checked instant; violated at the first where it does.
  eventually p: p holds at some checked instant; violated when the deadline
  passes (or the run ends) without one.
- An empty range (nothing checked): always and never hold, eventually is violated.
- A step in `after` that never started: violated, whatever the operator; the
  explanation says that the step never ran.
- A run that ended before `after + within`: eventually is violated unless it
  was already satisfied, and the explanation says the run ended early;
  always/never hold if nothing failed, and the explanation says so too.
- Records after `run_finished` are ignored.
"""

from __future__ import annotations

from typing import Callable

from chaos.invariants.gauges import Gauge
from chaos.invariants.verdict import Verdict
from chaos.scenario.model import COMPARISONS, FRACTION_QUANTITIES, NEGATED, Condition, Invariant

_INF = float("inf")


def _score(goal: str, threshold: float, value: float) -> float:
    """How close `value` is to meeting `goal` (a comparison, or not_equals): higher is closer."""
    if goal in ("at_least", "above"):
        return value
    if goal in ("at_most", "below"):
        return -value
    if goal == "equals":
        return -abs(value - threshold)
    return abs(value - threshold)


def _high(condition: Condition, value: float, truth: bool) -> bool:
    """Whether the nodes to blame are those pushing the value up (else those holding it down)."""
    comparison = condition.comparison
    if truth:
        return comparison in ("at_least", "above", "equals")
    return comparison in ("at_most", "below") or (comparison == "equals" and value > condition.value)


def format_value(condition: Condition, value: float) -> str:
    if condition.quantity in FRACTION_QUANTITIES:
        return f"{value:.2f}"
    if condition.quantity.startswith("latency"):
        return f"{value:.3f}s"
    if condition.quantity == "restarts":
        return f"{value:g}"
    return f"{value:.3f}"


def _what(condition: Condition) -> str:
    """The quantity as a noun phrase: `healthy fraction of edge`."""
    text = condition.describe()
    sign = f" {COMPARISONS[condition.comparison]} "
    return text.split(sign, 1)[0]


def _needed(condition: Condition) -> str:
    return f"{COMPARISONS[condition.comparison]} {condition.value:g}"


class _Point:
    """One instant worth reporting: the value there, its counts, and the nodes to blame."""

    __slots__ = ("value", "t", "seq", "detail", "nodes")

    def __init__(self, value: float, t: float, seq: int, detail: str, nodes: list[str]) -> None:
        self.value, self.t, self.seq, self.detail, self.nodes = value, t, seq, detail, nodes


class Check:
    """Decides one invariant; `instant()` for each instant in order, then `finish()`."""

    def __init__(self, invariant: Invariant, gauge_for: Callable[[Condition], Gauge]) -> None:
        self.invariant = invariant
        self.condition = invariant.condition
        self.operator = invariant.operator
        self.p = gauge_for(invariant.condition)
        self.q = gauge_for(invariant.while_) if invariant.while_ is not None else None
        self.u = gauge_for(invariant.until) if isinstance(invariant.until, Condition) else None
        self.verdict: Verdict | None = None
        self.checked = 0
        self.start: float | None = None
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.unknown: str | None = None
        # always p is threatened by not-p; never p and eventually p by p itself.
        comparison = self.condition.comparison
        self.goal = NEGATED.get(comparison, "not_equals") if self.operator == "always" else comparison
        self.best_score = -_INF
        self.best: _Point | None = None
        self.end = _INF
        self.until_step = invariant.until if isinstance(invariant.until, str) else None
        # Gauge versions seen at the last instant, and whether that instant was checked.
        self.stamp: tuple[int, int, int] | None = None
        self.counted = False

    # --- feeding ---------------------------------------------------------------

    def instant(self, t: float, seq: int, steps: dict[str, float]) -> Verdict | None:
        """Look at the state at instant `t` (last record `seq`); returns the verdict once decided."""
        invariant = self.invariant
        start = self.start
        if start is None:
            start = 0.0 if invariant.after is None else steps.get(invariant.after)
            if start is None or t < start:
                return None
            self.start = start
            self.end = start + invariant.within if invariant.within is not None else _INF
        if t > self.end:
            what = "deadline" if self.operator == "eventually" else "range's end"
            return self._range_over(f"the {what} at t={self.end:.1f}s passed")
        if self.until_step is not None:
            until_t = steps.get(self.until_step)
            if until_t is not None and t >= until_t:
                return self._range_over(f"step {self.until_step} started at t={until_t:.1f}s")
        p, q, u = self.p, self.q, self.u
        stamp = (p.version, q.version if q is not None else 0, u.version if u is not None else 0)
        if stamp == self.stamp:
            # Nothing this check reads has changed since the last instant: same outcome, one more instant.
            if self.counted:
                self.checked += 1
                self.last_t = t
            return None
        self.stamp, self.counted = stamp, False
        if u is not None:
            until_value = u.value()
            if until_value is not None and invariant.until.holds_for(until_value):  # type: ignore[union-attr]
                return self._range_over(f"the until condition first held at t={t:.1f}s")
        if q is not None:
            while_value = q.value()
            if while_value is None or not invariant.while_.holds_for(while_value):  # type: ignore[union-attr]
                return None
        value = p.value()
        if value is None:
            self.unknown = p.unknown_reason()
            return None
        truth = self.condition.holds_for(value)
        self.checked += 1
        self.counted = True
        if self.first_t is None:
            self.first_t = t
        self.last_t = t
        operator = self.operator
        if operator == "eventually":
            if truth:
                return self._decide(True, self._point(value, t, seq, nodes=False))
        elif truth != (operator == "always"):
            return self._decide(False, self._point(value, t, seq, nodes=True, truth=truth))
        score = _score(self.goal, self.condition.value, value)
        if score > self.best_score:
            self.best_score = score
            # Blamed nodes matter only for an eventually that may yet fail.
            self.best = self._point(value, t, seq, nodes=operator == "eventually")
        return None

    def finish(self, end: float, steps: dict[str, float]) -> Verdict:
        """Decide at the end of the run, if nothing decided earlier."""
        if self.verdict is not None:
            return self.verdict
        invariant = self.invariant
        if invariant.after is not None and invariant.after not in steps:
            # The runner's own markers (@steady-before) start with @, which no scenario step id can.
            ran = ", ".join(step for step in steps if not step.startswith("@")) or "none"
            return self._decide(
                False, None, note=f"step {invariant.after} never ran, so the range after it never began (steps that ran: {ran})"
            )
        note = ""
        if invariant.within is not None and end < (self.start or 0.0) + invariant.within:
            deadline = (self.start or 0.0) + invariant.within
            note = f"the run ended at t={end:.1f}s, before the range's end at t={deadline:.1f}s"
        if self.operator == "eventually":
            return self._decide(False, self.best, note=note or "the range ended without the condition holding")
        return self._decide(True, self.best, note=note)

    # --- deciding --------------------------------------------------------------

    def _range_over(self, how: str) -> Verdict:
        if self.operator == "eventually":
            return self._decide(False, self.best, note=how)
        return self._decide(True, self.best, note=how)

    def _point(self, value: float, t: float, seq: int, *, nodes: bool, truth: bool = False) -> _Point:
        blamed = self.p.nodes(high=_high(self.condition, value, truth)) if nodes else []
        return _Point(value, t, seq, self.p.detail(), blamed)

    def _decide(self, held: bool, point: _Point | None, *, note: str = "") -> Verdict:
        invariant = self.invariant
        explanation, summary = self._explain(held, point, note)
        self.verdict = Verdict(
            invariant=invariant.name,
            held=held,
            explanation=explanation,
            summary=summary,
            closest=None if point is None else point.value,
            at=None if point is None else point.t,
            nodes=[] if point is None or held else list(point.nodes),
            seq=None if point is None else point.seq,
            mark=invariant.mark,
        )
        return self.verdict

    def _range_text(self) -> str:
        after = self.invariant.after
        if self.start is None:
            return f"after step {after}" if after else "from the start of the run"
        origin = f"step {after} started" if after else "the start of the run"
        return f"from t={self.start:.1f}s ({origin})"

    def _explain(self, held: bool, point: _Point | None, note: str) -> tuple[str, str]:
        invariant, condition = self.invariant, self.condition
        name, what, needed = invariant.name, _what(condition), _needed(condition)
        where = f" [{invariant.mark}]" if invariant.mark is not None else ""
        checked = f"checked {self.checked} instant{'s' if self.checked != 1 else ''} {self._range_text()}"
        if self.checked:
            checked += f" to t={self.last_t:.1f}s"
        lines = [f"invariant {name} {'held' if held else 'was violated'}: {invariant.describe()}{where}", f"  {checked}"]
        if note:
            lines.append(f"  {note}")
        if point is None:
            if self.checked == 0 and (self.unknown or not note):
                reason = f": {self.unknown}" if self.unknown else ""
                lines.append(f"  no instant could be checked{reason}")
            short = note or "nothing was checked"
            summary = f"{name}: {'held' if held else 'VIOLATED'} ({short})"
            return "\n".join(lines), summary
        shown = f"{format_value(condition, point.value)}" + (f" ({point.detail})" if point.detail else "")
        when = f"at t={point.t:.1f}s"
        if held and self.operator == "eventually":
            lines.append(f"  {what} was {shown} {when}; needed {needed}")
            summary = f"{name}: held ({what} was {format_value(condition, point.value)} {when})"
        elif held:
            lines.append(f"  closest to failing: {what} was {shown} {when}")
            summary = f"{name}: held"
        elif self.operator == "eventually":
            reached = {"at_least": "reached at most", "above": "reached at most", "at_most": "went no lower than",
                       "below": "went no lower than", "equals": "came no closer than"}[condition.comparison]
            lines.append(f"  closest: {what} {reached} {shown} {when}; needed {needed}")
            summary = f"{name}: VIOLATED ({what} {reached} {format_value(condition, point.value)} {when}; needed {needed})"
        else:
            must = f"needed {needed}" if self.operator == "always" else f"must never be {needed}"
            lines.append(f"  first counterexample: {what} was {shown} {when}; {must}")
            summary = f"{name}: VIOLATED ({what} was {format_value(condition, point.value)} {when}; {must})"
        if not held:
            blamed = ", ".join(point.nodes) if point.nodes else "none singled out"
            lines.append(f"  nodes at fault then: {blamed}")
        lines.append(f"  see timeline seq {point.seq}, t={point.t:.1f}s")
        return "\n".join(lines), summary

