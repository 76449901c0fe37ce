"""A finding as a scenario file that `chaos run` replays.

A fuzzing finding is only as good as the ease of running it again, so it
is written as an ordinary scenario: the same fleet, observation and steady
state, the steps of the minimal failing example (the drawn feature file
saved beside it and pushed with `with: {file: ...}`), a wait so the run
watches as long as the example was watched, and the invariants that were
violated, their `after` pointing at the step that broke them. It says
`expect: hold` (the property the fuzzer tested) and `cleanup: never` (the
fleet is torn down anyway, and a fleet left broken by the example would
keep a clean-up waiting for nothing): `chaos run` exits 1 while the finding
reproduces and 0 once it is fixed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chaos.scenario import Condition, Invariant, Scenario, Step


@dataclass
class ReplayStep:
    """One step of a replay: a scenario step as run, with the file it pushed and the nodes it hit."""

    step: Step
    id: str
    file: str | None = None  # pushed file, relative to the replay scenario
    nodes: list[str] | None = None  # the nodes a fault hit
    service: str | None = None  # the service those nodes belong to
    heal: str | None = None  # id of the replay step that heals this fault
    wait: float | None = None  # seconds the fuzzer watched after this step
    link: str | None = None  # the fault's link and parameters as applied, when not the step's own
    params: dict[str, Any] | None = None


@dataclass
class Replay:
    """What the replay scenario needs: the steps as run, and the invariants they broke."""

    scenario: Scenario
    steps: list[ReplayStep]
    invariants: list[Invariant]
    title: str
    description: str
    seed: int

    def after(self, step_id: str) -> str:
        """The replay step an invariant's `after: step_id` means: the last one run from that scenario step."""
        matching = [item.id for item in self.steps if item.step.id == step_id]
        return matching[-1] if matching else step_id


def condition_document(condition: Condition) -> dict[str, Any]:
    out: dict[str, Any] = {condition.quantity: condition.subject, condition.comparison: _number(condition.value)}
    if condition.on_version is not None:
        out["on_version"] = condition.on_version
    if condition.where:
        where: dict[str, Any] = {}
        for test in condition.where:
            if test.comparison == "equals" and test.field not in where:
                where[test.field] = test.value
            else:
                existing = where.get(test.field)
                tests = existing if isinstance(existing, dict) else ({} if existing is None else {"equals": existing})
                tests[test.comparison] = test.value
                where[test.field] = tests
        out["where"] = where
    if condition.window is not None and condition.quantity in ("error_rate", "wrong_results", "latency_p50",
                                                                "latency_p99"):
        out["window"] = _number(condition.window)
    return out


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def invariant_document(invariant: Invariant, *, after: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": invariant.name, invariant.operator: condition_document(invariant.condition)}
    if invariant.within is not None:
        out["within"] = _number(invariant.within)
    if after is not None:
        out["after"] = after
    if isinstance(invariant.until, Condition):
        out["until"] = condition_document(invariant.until)
    if invariant.while_ is not None:
        out["while"] = condition_document(invariant.while_)
    return out


def step_document(item: ReplayStep, target: str | None) -> dict[str, Any]:
    step = item.step
    out: dict[str, Any] = {"id": item.id}
    if step.action is not None:
        out["action"] = step.action
        if item.file is not None:
            out["with"] = {"file": item.file}
        elif step.with_:
            out["with"] = dict(step.with_)
    elif step.fault is not None:
        fault: dict[str, Any] = {"kind": step.fault.kind, "target": target or step.fault.target}
        params = step.fault.params if item.params is None else item.params
        if params:
            fault["params"] = dict(params)
        link = item.link or step.fault.link
        if link is not None:
            fault["link"] = link
        out["fault"] = fault
        out["heal"] = item.heal or "end"
    else:
        assert step.wait is not None
        if step.wait.until is not None:
            out["wait"] = {"until": condition_document(step.wait.until), "timeout": _number(step.wait.timeout or 0)}
        else:
            out["wait"] = {"for": _number(step.wait.for_ or 0)}
    return out


def replay_document(replay: Replay, *, at: Path) -> dict[str, Any]:
    """The replay scenario as plain data; paths are relative to the folder of `at` (where it will be written)."""
    scenario = replay.scenario
    fleet: dict[str, Any] = {"file": os.path.relpath(scenario.fleet.file, at.parent)}
    if scenario.fleet.replicas:
        fleet["replicas"] = dict(scenario.fleet.replicas)
    if scenario.fleet.environment:
        fleet["environment"] = {k: dict(v) for k, v in scenario.fleet.environment.items()}
    observe: dict[str, Any] = {"interval": _number(scenario.observe.interval)}
    if scenario.observe.traffic is not None:
        observe["traffic"] = {"service": scenario.observe.traffic.service,
                              "rate": _number(scenario.observe.traffic.rate)}
    targets: dict[str, Any] = {}
    drawn: dict[int, str] = {}
    for item in replay.steps:
        if item.nodes is not None and item.service is not None:
            # A target per fault that hit drawn nodes, named after its step (a target may not share a service's name).
            drawn[id(item)] = name = f"nodes-{item.id}"
            targets[name] = {"service": item.service, "select": list(item.nodes)}
        elif item.step.fault is not None and item.step.fault.target in scenario.targets:
            target = scenario.targets[item.step.fault.target]
            targets[target.name] = {"service": target.service, "select": _selection(target.select)}
    steps: list[dict[str, Any]] = []
    for index, item in enumerate(replay.steps, 1):
        steps.append(step_document(item, drawn.get(id(item))))
        if item.wait:
            steps.append({"id": f"watch-{index}", "wait": {"for": round(item.wait, 2)}})
    invariants = [invariant_document(i, after=None if i.after is None else replay.after(i.after))
                  for i in replay.invariants]
    document: dict[str, Any] = {"title": replay.title, "description": replay.description, "seed": replay.seed,
                                "expect": "hold", "fleet": fleet, "observe": observe}
    if targets:
        document["targets"] = targets
    if scenario.steady_state:
        document["steady_state"] = [condition_document(c) for c in scenario.steady_state]
    document["steps"] = steps
    document["cleanup"] = "never"
    document["invariants"] = invariants
    return document


def _selection(selection: Any) -> Any:
    return list(selection.names) if selection.kind == "names" else str(selection)


class _Dumper(yaml.SafeDumper):
    """Block style for the document, flow style for small leaves, as the shipped scenarios are written."""


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = all(not isinstance(v, (dict, list)) or (isinstance(v, dict) and len(v) <= 2 and
                                                   all(not isinstance(x, (dict, list)) for x in v.values()))
               for v in data.values()) and len(data) <= 4
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, (dict, list)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def replay_text(replay: Replay, *, at: Path, schema: str | None = None) -> str:
    """The replay scenario's YAML text, with a schema line for editors when `schema` (a path) is given."""
    body = yaml.dump(replay_document(replay, at=at), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    head = f"# yaml-language-server: $schema={os.path.relpath(schema, at.parent)}\n" if schema else ""
    return head + body


def write_replay(replay: Replay, path: Path, *, schema: str | None = None) -> str:
    """Write the replay scenario file at `path`; returns its text."""
    text = replay_text(replay, at=path, schema=schema)
    path.write_text(text, encoding="utf-8")
    return text


__all__ = ["Replay", "ReplayStep", "condition_document", "invariant_document", "replay_document",
           "replay_text", "step_document", "write_replay"]
