"""Read a scenario file into a validated `Scenario`, or say exactly what is wrong.

Checking happens in two passes, so the first error found is always the same:
the shape of the file (types, keys, ranges; `spec.py`, in file order), then
the references between its parts, in this order: fleet service names, step
ids, heal steps, target and condition names, invariant names and the steps
they refer to.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Iterator

import yaml

from chaos.errors import UsageError
from chaos.scenario.error import At, ScenarioError, shown
from chaos.scenario.model import Condition, Scenario
from chaos.yamlpos import Mark, YamlError, load


def load_scenario(path: str | Path, *, text: str | None = None) -> Scenario:
    """Load and validate the scenario file at `path` (or `text`, shown as coming from `path`).

    Raises ScenarioError, whose message is one line starting with file:line:column.
    """
    shown_path = str(path)
    start = Mark(shown_path, 1, 1)
    if text is None:
        if not Path(path).is_file():
            raise ScenarioError(mark=start, path="", expected="a scenario file", found=f"no file at {shown_path}")
    try:
        data = load(path, text=text)
    except YamlError as exc:
        problem = str(exc)[len(str(exc.mark)) + 2 :]
        raise ScenarioError(mark=exc.mark, path="", expected=_expected_for(problem), found=_found_for(problem)) from None
    except yaml.YAMLError as exc:
        # Tags PyYAML's safe constructor refuses (e.g. !!python/object) surface here.
        where = getattr(exc, "problem_mark", None)
        mark = Mark(shown_path, where.line + 1, where.column + 1) if where else start
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(mark=mark, path="", expected="plain YAML", found=problem) from None
    except UsageError as exc:
        raise ScenarioError(mark=start, path="", expected="a readable scenario file", found=str(exc)) from None
    return validate(data, path=shown_path)


def validate(document: Any, *, path: str | Path) -> Scenario:
    """Validate an already-loaded scenario document (from `yamlpos.load`, or plain dicts and lists).

    Plain values carry no marks, so their errors point at `path:1:1` with the
    key path; the fleet file is resolved against `path`'s folder either way.
    """
    start = Mark(str(path), 1, 1)
    scenario = Scenario.SHAPE.read(document, At(getattr(document, "mark", start), ""))
    return check_references(scenario)


def _expected_for(problem: str) -> str:
    if problem.startswith("duplicate key"):
        return "each key once in a mapping"
    if problem.startswith("the file is empty"):
        return "a scenario mapping"
    if problem.startswith("expected "):
        return problem[len("expected ") :].split(", found")[0]
    return "valid YAML"


def _found_for(problem: str) -> str:
    if problem.startswith("the file is empty"):
        return "an empty file"
    if problem.startswith("expected ") and ", found " in problem:
        return problem.split(", found ", 1)[1]
    if problem.startswith("not valid YAML: "):
        return problem[len("not valid YAML: ") :]
    return problem


def read_services(fleet_file: Path) -> tuple[str, ...]:
    """Service names of a Compose-format file, or () when it cannot be read as one.

    A fleet file that is broken is the fleet loader's to report, with its own
    file:line:column; here the names only let a typo in a scenario be caught.
    """
    try:
        data = load(fleet_file)
    except (UsageError, yaml.YAMLError):
        return ()
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return ()
    return tuple(str(name) for name in services)


def check_references(scenario: Scenario) -> Scenario:
    """Check what the shape cannot: names and ids that must refer to something. Returns the scenario with fleet services filled in."""
    services = read_services(scenario.fleet.file)
    scenario = dataclasses.replace(scenario, fleet=dataclasses.replace(scenario.fleet, services=services))
    _check_services(scenario, services)
    _check_steps(scenario)
    _check_names(scenario, services)
    _check_invariants(scenario)
    return scenario


def _at(obj: Any, key: str, path: str) -> At:
    """Where `key` of a model object sits (or the object itself when the key is absent)."""
    mark = obj.marks.get(key) or obj.mark
    return At(mark, f"{path}.{key}" if key else path)


def _check_services(scenario: Scenario, services: tuple[str, ...]) -> None:
    if not services:
        return
    known = "a service of the fleet file (" + ", ".join(services) + ")"
    fleet = scenario.fleet
    for key in ("replicas", "environment"):
        mapping = getattr(fleet, key)
        for name in mapping:
            if name not in services:
                mark = getattr(mapping, "key_marks", {}).get(name) or fleet.marks.get(key) or fleet.mark
                raise At(mark, f"fleet.{key}.{name}").fail(known, f"unknown service {name!r}")
    traffic = scenario.observe.traffic
    if traffic is not None and traffic.service not in services:
        raise _at(traffic, "service", "observe.traffic").fail(known, shown(traffic.service))
    for name, target in scenario.targets.items():
        if name in services:
            raise At(target.mark or scenario.mark, f"targets.{name}").fail(
                "a target name that is not also a service name", f"{name!r}, a service of the fleet file"
            )
        if target.service not in services:
            raise _at(target, "service", f"targets.{name}").fail(known, shown(target.service))


def _check_steps(scenario: Scenario) -> None:
    seen: dict[str, int] = {}
    for index, step in enumerate(scenario.steps):
        if step.id in seen:
            first = scenario.steps[seen[step.id]].mark
            raise _at(step, "id", f"steps[{index}]").fail(
                "unique step ids", f"{step.id!r} again (first at line {first.line if first else '?'})"
            )
        seen[step.id] = index
    for index, step in enumerate(scenario.steps):
        if step.heal in (None, "end", "never"):
            continue
        later = [s.id for s in scenario.steps[index + 1 :]]
        if step.heal not in later:
            choices = ", ".join(["end", "never", *later])
            found = f"{step.heal!r}" + (" (an earlier step, or this one)" if step.heal in seen else "")
            raise _at(step, "heal", f"steps[{index}]").fail(f"one of {choices}", found)


def _conditions(scenario: Scenario) -> Iterator[tuple[Condition, str]]:
    """Every condition of the scenario with its key path, in file-section order."""
    for index, condition in enumerate(scenario.steady_state):
        yield condition, f"steady_state[{index}]"
    for index, step in enumerate(scenario.steps):
        if step.wait is not None and step.wait.until is not None:
            yield step.wait.until, f"steps[{index}].wait.until"
    for section in ("stop_conditions", "invariants"):
        for index, invariant in enumerate(getattr(scenario, section)):
            path = f"{section}[{index}]"
            yield invariant.condition, f"{path}.{invariant.operator}"
            if isinstance(invariant.until, Condition):
                yield invariant.until, f"{path}.until"
            if invariant.while_ is not None:
                yield invariant.while_, f"{path}.while"


def _check_names(scenario: Scenario, services: tuple[str, ...]) -> None:
    targets = list(scenario.targets)
    names = [*services, *targets]
    if services:
        expected = "a service or target name (" + ", ".join(names) + ")"
        for condition, path in _conditions(scenario):
            if condition.subject not in names:
                raise _at(condition, condition.quantity, path).fail(expected, shown(condition.subject))
    for index, step in enumerate(scenario.steps):
        fault = step.fault
        if fault is None:
            continue
        # Without the fleet's services, a fault can still be checked against the targets when it names none of them.
        if services and fault.target not in names:
            raise _at(fault, "target", f"steps[{index}].fault").fail(
                "a target or service name (" + ", ".join(names) + ")", shown(fault.target)
            )


def _check_invariants(scenario: Scenario) -> None:
    step_ids = scenario.step_ids
    listed = "a step id (" + ", ".join(step_ids) + ")"
    seen: dict[str, Mark | None] = {}
    for section in ("stop_conditions", "invariants"):
        for index, invariant in enumerate(getattr(scenario, section)):
            path = f"{section}[{index}]"
            if invariant.name in seen:
                first = seen[invariant.name]
                raise _at(invariant, "name", path).fail(
                    "unique invariant and stop-condition names",
                    f"{invariant.name!r} again (first at line {first.line if first else '?'})",
                )
            seen[invariant.name] = invariant.mark
            if invariant.after is not None and invariant.after not in step_ids:
                raise _at(invariant, "after", path).fail(listed, f"{invariant.after!r}, which is no step")
            if isinstance(invariant.until, str) and invariant.until not in step_ids:
                raise _at(invariant, "until", path).fail(listed, f"{invariant.until!r}, which is no step")
