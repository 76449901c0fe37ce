"""Loading a valid scenario: values, defaults, marks, and the model's declarations."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from chaos.scenario import Condition, HealthTest, Invariant, Scenario, ScenarioError, Selection, load_scenario
from chaos.scenario.model import MODELS, Observe

HERE = Path(__file__).parent
VALID = HERE / "fixtures" / "valid.yaml"
MINIMAL = """\
title: smallest
fleet: {file: fixtures/compose.yaml}
steps: [{id: push, action: push}]
invariants: [{name: up, always: {healthy: edge, at_least: 1}}]
"""


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(VALID)


def line_of(text: str) -> int:
    return VALID.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_top_level_values(scenario: Scenario) -> None:
    assert scenario.title == "Rollback under duress"
    assert scenario.description.startswith("An oversized feature file")
    assert (scenario.seed, scenario.expect, scenario.cleanup) == (1118, "hold", "always")
    assert scenario.path == VALID


def test_fleet_file_is_resolved_and_its_services_read(scenario: Scenario) -> None:
    assert scenario.fleet.file == (HERE / "fixtures" / "compose.yaml").resolve()
    assert scenario.fleet.services == ("edge", "control", "origin")
    assert scenario.fleet.replicas == {"edge": 10}
    # Environment values become the text a process sees.
    assert scenario.fleet.environment == {"edge": {"EDGE_MODE": "panic", "FEATURE_LIMIT": "200", "VERBOSE": "true"}}


def test_observe_and_targets(scenario: Scenario) -> None:
    assert scenario.observe.interval == 0.25
    assert (scenario.observe.traffic.service, scenario.observe.traffic.rate) == ("edge", 4.0)
    targets = scenario.targets
    assert targets["half"].select == Selection("percent", amount=50)
    assert targets["three"].select == Selection("count", amount=3)
    assert targets["named"].select == Selection("names", names=("edge-1", "edge-3"))
    assert targets["everyone"].select == Selection("all")
    assert {name: t.name for name, t in targets.items()} == {name: name for name in targets}


def test_steps(scenario: Scenario) -> None:
    push, loop, settle, cut, pause, rollback = scenario.steps
    assert (push.kind, push.action, push.with_) == ("action", "push", {"features": 400})
    assert loop.kind == "wait" and loop.wait.until == Condition("healthy", "edge", "at_most", 0.4)
    assert loop.wait.timeout == 30 and loop.wait.for_ is None
    assert settle.wait.for_ == 10
    assert cut.fault.kind == "latency" and cut.fault.target == "half"
    assert cut.fault.params == {"latency": 2000, "jitter": 100} and cut.fault.link == "edge->origin"
    assert (cut.heal, cut.on_violation) == ("rollback", "stop")
    assert (pause.heal, pause.on_violation) == ("end", "continue")
    assert rollback.heal is None
    assert scenario.step("cut") is cut and scenario.step_ids[0] == "push-oversized"
    with pytest.raises(KeyError, match="found 'nope'"):
        scenario.step("nope")


def test_invariants(scenario: Scenario) -> None:
    by_name = {i.name: i for i in scenario.invariants}
    falls = by_name["most-nodes-fall"]
    assert (falls.operator, falls.within, falls.after) == ("eventually", 30, "push-oversized")
    assert by_name["rollback-converges"].condition.on_version == "baseline"
    assert by_name["no-wrong-results"].condition.window == 5
    assert by_name["while-example"].while_ == Condition("healthy", "edge", "at_least", 0.5)
    assert by_name["until-example"].until == "rollback"
    assert isinstance(by_name["until-condition"].until, Condition)
    assert by_name["until-condition"].condition.window == 10  # the default
    assert by_name["reports-rejection"].condition.where == (
        HealthTest("rejections", "at_least", 1),
        HealthTest("module.state", "equals", "degraded"),
    )
    assert scenario.stop_conditions[0].name == "blast-radius"


def test_every_object_keeps_its_mark(scenario: Scenario) -> None:
    invariant = scenario.invariants[0]
    assert invariant.mark.path == str(VALID)
    assert (invariant.mark.line, invariant.mark.column) == (line_of("  - name: most-nodes-fall"), 5)
    assert invariant.marks["within"].line == invariant.mark.line + 2
    assert scenario.steps[3].mark.line == line_of("  - id: cut")
    assert scenario.steps[3].fault.marks["kind"].line == line_of("  - id: cut") + 1


def test_defaults_of_a_minimal_scenario() -> None:
    scenario = load_scenario(HERE / "minimal.yaml", text=MINIMAL)
    assert (scenario.seed, scenario.expect, scenario.cleanup, scenario.description) == (0, "hold", "always", "")
    assert scenario.observe == Observe()
    assert scenario.targets == {} and scenario.steady_state == () and scenario.stop_conditions == ()


def test_scenarios_are_frozen(scenario: Scenario) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario.title = "changed"  # type: ignore[misc]


def test_subjects_are_checked_against_the_fleet_when_it_names_its_services(tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text("not: [a, compose, file\n")
    text = MINIMAL.replace("fixtures/compose.yaml", "fleet.yaml").replace("healthy: edge", "healthy: anything")
    # A fleet file the loader cannot read is the fleet loader's to report; names go unchecked.
    assert load_scenario(tmp_path / "s.yaml", text=text).fleet.services == ()


def test_a_fraction_over_one_suggests_the_fraction() -> None:
    with pytest.raises(ScenarioError, match=r"expected a fraction from 0 to 1 for healthy, found 95 \(fractions are 0..1"):
        load_scenario(HERE / "s.yaml", text=MINIMAL.replace("at_least: 1", "at_least: 95"))


def test_declared_keys_match_the_dataclass_fields() -> None:
    # The shape is the one declaration: every key lands in a field of the class it builds.
    for model in MODELS:
        if model is Condition or model is Invariant:
            continue
        fields = {f.name for f in dataclasses.fields(model)}
        for key in model.SHAPE.keys:
            assert key.attr in fields, f"{model.__name__}.{key.attr} is declared but has no field"


def test_negation_and_comparison_of_conditions() -> None:
    condition = Condition("healthy", "edge", "at_least", 0.95)
    assert condition.holds_for(19 / 20) and not condition.negated().holds_for(19 / 20)
    assert condition.negated().negated() == condition
    with pytest.raises(ValueError, match="other than equals"):
        Condition("healthy", "edge", "equals", 1.0).negated()
    with pytest.raises(ValueError, match="found 'healthiest'"):
        Condition("healthiest", "edge", "at_least", 1.0)


def test_validate_takes_plain_documents() -> None:
    import yaml

    from chaos.scenario import validate

    document = yaml.safe_load(MINIMAL)
    assert validate(document, path=HERE / "plain.yaml").title == "smallest"
    document["steps"][0]["fualt"] = 1
    with pytest.raises(ScenarioError) as caught:
        validate(document, path=HERE / "plain.yaml")
    assert str(caught.value).startswith(f"{HERE / 'plain.yaml'}:1:1: steps[0]: expected one of the keys id")
