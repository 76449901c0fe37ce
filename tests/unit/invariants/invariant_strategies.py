"""Shared builders and Hypothesis strategies for timelines and invariants.

The builders make small synthetic timelines readable in a test; the
strategies generate arbitrary ones (same-time groups, restarts that rise and
reset, steps that never start, records after run_finished) for the property
tests. Times sit on a coarse grid so float rounding never decides a test.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from chaos.observe.timeline import Timeline
from chaos.scenario.model import COMPARISONS, FRACTION_QUANTITIES, QUANTITIES, Condition, HealthTest, Invariant

EDGE = ["edge-1", "edge-2", "edge-3", "edge-4"]


# --- builders ----------------------------------------------------------------


def started(nodes: dict[str, list[str]], targets: dict[str, list[str]] | None = None, t: float = 0.0) -> dict[str, Any]:
    return {"kind": "event", "event": "run_started", "t": t, "nodes": nodes, "targets": targets or {}}


def sample(
    node: str,
    t: float,
    *,
    healthy: bool = True,
    service: str = "edge",
    version: int | None = 1,
    restarts: int = 0,
    health: dict[str, Any] | None = None,
    container: str = "running",
) -> dict[str, Any]:
    return {
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


def traffic(
    node: str, t: float, *, ok: bool = True, latency: float | None = 0.1, wrong: bool = False, service: str = "edge"
) -> dict[str, Any]:
    return {"kind": "traffic", "t": t, "node": node, "service": service, "ok": ok, "status": 200 if ok else 503,
            "latency": latency, "wrong": wrong}


def step(step_id: str, t: float) -> dict[str, Any]:
    return {"kind": "event", "event": "step_started", "t": t, "step": step_id}


def steady(baseline: dict[str, int], t: float) -> dict[str, Any]:
    return {"kind": "event", "event": "steady_state", "t": t, "phase": "before", "baseline": baseline}


def finished(t: float) -> dict[str, Any]:
    return {"kind": "event", "event": "run_finished", "t": t}


def tick(t: float, healthy: dict[str, bool] | list[bool], *, nodes: list[str] | None = None, **fields: Any) -> list[dict[str, Any]]:
    """One sample per node at time t; `healthy` per node name, or a list in node order."""
    nodes = nodes or EDGE[: len(healthy)]
    flags = healthy if isinstance(healthy, dict) else dict(zip(nodes, healthy))
    return [sample(node, t, healthy=flags[node], **fields) for node in nodes]


def timeline(*records: dict[str, Any] | list[dict[str, Any]]) -> Timeline:
    """A memory timeline of the records (lists are flattened), in the order given."""
    built = Timeline()
    for record in records:
        for one in record if isinstance(record, list) else [record]:
            built.append(one)
    return built


def cond(quantity: str, subject: str = "edge", **comparison_and_modifiers: Any) -> Condition:
    """`cond("healthy", at_least=0.5, on_version=1)`."""
    comparison = next(k for k in comparison_and_modifiers if k in COMPARISONS)
    value = comparison_and_modifiers.pop(comparison)
    where = comparison_and_modifiers.pop("where", ())
    return Condition(quantity, subject, comparison, float(value), where=tuple(where), **comparison_and_modifiers)


def inv(operator: str, condition: Condition, **options: Any) -> Invariant:
    return Invariant(options.pop("name", "it"), operator, condition, **options)


# --- strategies --------------------------------------------------------------

_DT = st.sampled_from([0.0, 0.0, 0.5, 1.0, 1.0, 2.0, 5.0, 12.0, 31.0])


@st.composite
def fleets(draw: Any) -> dict[str, Any]:
    edge = EDGE[: draw(st.integers(1, 4))]
    cp = ["cp-1"][: draw(st.integers(0, 1))]
    half = draw(st.lists(st.sampled_from(edge), min_size=1, max_size=len(edge), unique=True))
    return {"nodes": {"edge": edge, "cp": cp}, "targets": {"half": sorted(half)}}


@st.composite
def record_lists(draw: Any, *, max_records: int = 30) -> list[dict[str, Any]]:
    """run_started (usually), then samples, traffic and events at non-decreasing times."""
    fleet = draw(fleets())
    nodes = [(n, "edge") for n in fleet["nodes"]["edge"]] + [(n, "cp") for n in fleet["nodes"]["cp"]]
    records: list[dict[str, Any]] = []
    if draw(st.integers(0, 9)):
        records.append(started(fleet["nodes"], fleet["targets"]))
    restarts = {n: 0 for n, _ in nodes}
    t = 0.0
    for _ in range(draw(st.integers(0, max_records))):
        t += draw(_DT)
        kind = draw(st.sampled_from(["sample"] * 3 + ["tick"] * 2 + ["traffic"] * 3 + ["step", "steady"]))
        node, service = draw(st.sampled_from(nodes))
        if kind in ("sample", "tick"):
            # A tick samples every node (at one time, or a little apart), as the recorder does.
            for node, service in nodes if kind == "tick" else [(node, service)]:
                change = draw(st.sampled_from([0, 0, 0, 1, 2, -1]))
                restarts[node] = 0 if change < 0 else restarts[node] + change
                health = draw(st.sampled_from([None, {"rejections": 0}, {"rejections": 2}, {"module": {"state": "degraded"}}]))
                records.append(
                    sample(node, t, healthy=draw(st.booleans()), service=service,
                           version=draw(st.sampled_from([None, 1, 1, 2, 3])), restarts=restarts[node], health=health)
                )
                t += draw(st.sampled_from([0.0, 0.5]))
        elif kind == "traffic":
            ok = draw(st.booleans())
            records.append(
                traffic(node, t, ok=ok, latency=draw(st.sampled_from([None, 0.1, 0.5, 1.0, 3.0])),
                        wrong=draw(st.booleans()), service=service)
            )
        elif kind == "step":
            records.append(step(draw(st.sampled_from(["s1", "s1", "s2"])), t))
        else:
            records.append(steady({"edge": draw(st.sampled_from([1, 2])), "cp": 1}, t))
    if draw(st.booleans()):
        records.append(finished(t + draw(_DT)))
        if draw(st.booleans()):
            records.append(sample(nodes[0][0], t + 40, healthy=False, service=nodes[0][1]))
    return records


_THRESHOLDS = {
    "restarts": [0.0, 1.0, 2.0, 5.0],
    "latency_p50": [0.1, 0.5, 1.0, 3.0],
    "latency_p99": [0.1, 0.5, 1.0, 3.0],
}


@st.composite
def conditions(draw: Any, *, allow_equals: bool = True) -> Condition:
    quantity = draw(st.sampled_from(QUANTITIES))
    comparisons = list(COMPARISONS) if allow_equals else [c for c in COMPARISONS if c != "equals"]
    comparison = draw(st.sampled_from(comparisons))
    value = draw(st.sampled_from(_THRESHOLDS.get(quantity, [0.0, 0.25, 0.5, 0.75, 1.0])))
    subject = draw(st.sampled_from(["edge"] * 4 + ["half"] * 2 + ["cp", "ghost"]))
    on_version: Any = None
    where: tuple[HealthTest, ...] = ()
    window = None
    if quantity in FRACTION_QUANTITIES:
        on_version = draw(st.sampled_from([None, None, 1, 2, "baseline", "latest"]))
        where = draw(
            st.sampled_from([(), (), (HealthTest("rejections", "at_least", 1),), (HealthTest("module.state", "equals", "degraded"),),
                             (HealthTest("rejections", "not", 0),)])
        )
    elif quantity not in ("restarts",):
        window = draw(st.sampled_from([1.0, 5.0, 10.0]))
    return Condition(quantity, subject, comparison, value, on_version=on_version, where=where, window=window)


@st.composite
def invariants(draw: Any, *, operator: str | None = None, allow_equals: bool = True) -> Invariant:
    """Any invariant the engine accepts, including ranges the loader would refuse for eventually."""
    operator = operator or draw(st.sampled_from(["always", "never", "eventually"]))
    after = draw(st.sampled_from([None, None, "s1", "s1", "s2", "s3"]))
    within = draw(st.sampled_from([None, None, 1.0, 5.0, 20.0]))
    until: Any = draw(st.sampled_from([None, None, "s2", "cond"]))
    if until == "cond":
        until = draw(conditions())
    while_ = draw(st.one_of(st.none(), st.none(), conditions()))
    return Invariant("prop", operator, draw(conditions(allow_equals=allow_equals)), within=within, after=after,
                     until=until, while_=while_)
