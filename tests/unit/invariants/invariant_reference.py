"""A slow, obviously-right evaluator of invariants, to check the incremental engine against.

It rebuilds the whole fleet state from scratch at every instant, straight
from the semantics written in chaos/invariants/checks.py and gauges.py, and
shares no code with the engine beyond the model's `compare`.
"""

from __future__ import annotations

import math
from typing import Any

from chaos.scenario.model import FRACTION_QUANTITIES, Condition, Invariant, compare

LOOP_WINDOW = 30.0


def _until_finish(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept = []
    for r in records:
        kept.append(r)
        if r["kind"] == "event" and r.get("event") == "run_finished":
            break
    return kept


def _rises(samples: list[dict[str, Any]]) -> list[tuple[float, int]]:
    rises = []
    for before, after in zip(samples, samples[1:]):
        old, new = before.get("restarts") or 0, after.get("restarts") or 0
        amount = new - old if new >= old else new
        if amount > 0:
            rises.append((after["t"], amount))
    return rises


def value_at(condition: Condition, records: list[dict[str, Any]], t: float) -> float | None:
    """The condition's quantity at instant t, or None when unknown."""
    upto = [r for r in records if r["t"] <= t]
    started = next((r for r in upto if r["kind"] == "event" and r.get("event") == "run_started"), None)
    if started is not None:
        members = list(started.get("targets", {}).get(condition.subject) or started["nodes"].get(condition.subject) or [])
    else:
        members = []
        for r in upto:
            if r["kind"] == "sample" and r["service"] == condition.subject and r["node"] not in members:
                members.append(r["node"])
    members = list(dict.fromkeys(members))
    samples = {n: [r for r in upto if r["kind"] == "sample" and r["node"] == n] for n in members}
    quantity = condition.quantity
    if quantity == "restarts":
        return float(sum(a for n in members for _, a in _rises(samples[n])))
    if quantity in FRACTION_QUANTITIES:
        if not members or any(not samples[n] for n in members):
            return None
        service_of: dict[str, str] = {}
        for r in upto:
            if r["kind"] in ("sample", "traffic"):
                service_of.setdefault(r["node"], r["service"])
        if started is not None:
            for service, names in started["nodes"].items():
                for name in names:
                    service_of.setdefault(name, service)
        passing = 0
        for n in members:
            latest = samples[n][-1]
            healthy = latest.get("healthy") is True
            if quantity == "healthy":
                ok = healthy
            elif quantity == "unhealthy":
                ok = not healthy
            elif quantity == "serving":
                probes = [r for r in upto if r["kind"] == "traffic" and r["node"] == n]
                ok = bool(probes[-1]["ok"]) if probes else healthy
            else:
                rose = sum(a for rt, a in _rises(samples[n]) if rt + LOOP_WINDOW > t)
                ok = rose >= 2 or (rose >= 1 and not healthy)
            if condition.on_version is not None:
                wanted = condition.on_version
                service = service_of.get(n)
                if wanted == "baseline":
                    steady = [r for r in upto if r["kind"] == "event" and r.get("event") == "steady_state"
                              and isinstance(r.get("baseline"), dict)]
                    wanted = steady[0]["baseline"].get(service) if steady else None
                elif wanted == "latest":
                    versions = [r["version"] for r in upto if r["kind"] == "sample" and r["service"] == service
                                and isinstance(r["version"], int) and not isinstance(r["version"], bool)]
                    wanted = max(versions) if versions else None
                if wanted is None:
                    return None
                ok = ok and latest.get("version") == wanted
            if ok and condition.where:
                ok = all(test.matches(latest.get("health")) for test in condition.where)
            passing += ok
        return passing / len(members)
    window = [r for r in upto if r["kind"] == "traffic" and r["node"] in members and r["t"] > t - condition.window]
    if quantity == "error_rate":
        return sum(1 for r in window if not r["ok"]) / len(window) if window else 0.0
    succeeded = [r for r in window if r["ok"]]
    if quantity == "wrong_results":
        return sum(1 for r in succeeded if r["wrong"]) / len(succeeded) if succeeded else 0.0
    latencies = sorted(r["latency"] for r in succeeded if r["latency"] is not None)
    if not latencies:
        return None
    p = 0.5 if quantity == "latency_p50" else 0.99
    return latencies[max(1, math.ceil(p * len(latencies) - 1e-9)) - 1]


def holds_at(condition: Condition, records: list[dict[str, Any]], t: float) -> bool | None:
    value = value_at(condition, records, t)
    return None if value is None else compare(condition.comparison, value, condition.value)


def reference(invariant: Invariant, all_records: list[dict[str, Any]]) -> tuple[bool, float | None]:
    """(held, the instant that decided it or None) by brute force."""
    records = _until_finish(all_records)
    instants = sorted({r["t"] for r in records})
    steps: dict[str, float] = {}
    for r in records:
        if r["kind"] == "event" and r.get("event") == "step_started":
            steps.setdefault(r["step"], r["t"])
    if invariant.after is not None and invariant.after not in steps:
        return False, None
    start = steps.get(invariant.after, 0.0) if invariant.after else 0.0
    end = start + invariant.within if invariant.within is not None else math.inf
    for t in instants:
        if t < start:
            continue
        if t > end:
            break
        if isinstance(invariant.until, str) and invariant.until in steps and t >= steps[invariant.until]:
            break
        if isinstance(invariant.until, Condition) and holds_at(invariant.until, records, t):
            break
        if invariant.while_ is not None and not holds_at(invariant.while_, records, t):
            continue
        truth = holds_at(invariant.condition, records, t)
        if truth is None:
            continue
        if invariant.operator == "eventually" and truth:
            return True, t
        if invariant.operator == "always" and not truth:
            return False, t
        if invariant.operator == "never" and truth:
            return False, t
    return invariant.operator != "eventually", None
