"""Scenario files: load, validate and select.

    load_scenario(path) -> Scenario     raises ScenarioError (file:line:column: expected X, found Y)
    validate(document, path=...) -> Scenario    the same for an already-loaded document
    select_targets(scenario, nodes_by_service) -> {target: [node, ...]}
    scenario_files(paths) -> [Path, ...]
    schema.json_schema() -> dict        the JSON Schema, from the same declarations as the loader

Layering: `spec` is the declaration vocabulary, `model` declares the
dataclasses with it, `loader` reads files and checks references, `schema`
and `selection` use the model.
"""

from chaos.scenario.error import ScenarioError
from chaos.scenario.files import scenario_files
from chaos.scenario.loader import load_scenario, validate
from chaos.scenario.model import (
    COMPARISONS,
    FAULT_KINDS,
    QUANTITIES,
    Condition,
    Fault,
    Fleet,
    HealthTest,
    Invariant,
    Observe,
    Scenario,
    Step,
    Target,
    Traffic,
    Wait,
)
from chaos.scenario.selection import Selection, select_targets

__all__ = [
    "COMPARISONS",
    "FAULT_KINDS",
    "QUANTITIES",
    "Condition",
    "Fault",
    "Fleet",
    "HealthTest",
    "Invariant",
    "Observe",
    "Scenario",
    "ScenarioError",
    "Selection",
    "Step",
    "Target",
    "Traffic",
    "Wait",
    "load_scenario",
    "scenario_files",
    "select_targets",
    "validate",
]
