"""Pure parts of the runner: action bodies, outcomes against expectations, explanations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaos.errors import UsageError
from chaos.fleet.compose import ActionSpec
from chaos.invariants.verdict import Verdict
from chaos.runner.actions import action_body
from chaos.runner.result import RunResult
from chaos.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def spec(body: str) -> ActionSpec:
    return ActionSpec(name="push", service="cp", method="POST", path="/config", body=body)


def test_action_bodies(tmp_path):
    assert action_body(spec("none"), {}, base=tmp_path, where="w") is None
    assert len(json.loads(action_body(spec("features"), {"features": 5}, base=tmp_path, where="w"))["features"]) == 5
    (tmp_path / "f.json").write_bytes(b"not json")
    assert action_body(spec("file"), {"file": "f.json"}, base=tmp_path, where="w") == b"not json"
    assert action_body(spec("features"), {"file": "f.json"}, base=tmp_path, where="w") == b"not json"
    assert json.loads(action_body(spec("json"), {"json": {"a": 1}}, base=tmp_path, where="w")) == {"a": 1}
    with pytest.raises(UsageError, match="w: action 'push' expected with.features"):
        action_body(spec("features"), {"features": -1}, base=tmp_path, where="w")
    with pytest.raises(UsageError, match="cannot read"):
        action_body(spec("file"), {"file": "missing.json"}, base=tmp_path, where="w")


def verdict(name: str, held: bool) -> Verdict:
    return Verdict(invariant=name, held=held, explanation=f"{name} explained", summary=f"{name}: summary")


@pytest.mark.parametrize("scenario_name, verdicts, outcome, as_expected", [
    ("rollback-under-duress.yaml", [True, True], "held", True),
    ("rollback-under-duress.yaml", [True, False], "violated", False),
    ("rollback-needs-quorum.yaml", [True, False], "violated", True),
    ("rollback-needs-quorum.yaml", [True, True], "held", False),
])
def test_outcome_against_expectation(scenario_name, verdicts, outcome, as_expected):
    scenario = load_scenario(ROOT / "scenarios" / scenario_name)
    result = RunResult(scenario, "abcd", 7, verdicts=[verdict(f"v{i}", h) for i, h in enumerate(verdicts)])
    assert result.outcome == outcome and result.as_expected is as_expected
    text = result.explain()
    if outcome == "violated":
        assert "invariant 'v1' violated\nv1 explained" in text
        assert f"replay: chaos run {scenario.path} --seed 7" in text
    elif not as_expected:
        assert "expected a violation, but every invariant held" in text


def test_an_error_or_interrupt_is_never_as_expected():
    scenario = load_scenario(ROOT / "scenarios" / "rollback-needs-quorum.yaml")
    assert not RunResult(scenario, "x", 1, error="no fleet").as_expected
    assert not RunResult(scenario, "x", 1, interrupted=True).as_expected
    assert "the run could not happen: no fleet" in RunResult(scenario, "x", 1, error="no fleet").explain()
