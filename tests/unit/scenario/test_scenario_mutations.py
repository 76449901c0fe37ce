"""Whatever is wrong with a scenario file, the loader answers with a Scenario or one ScenarioError line."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaos.scenario import Scenario, ScenarioError, load_scenario

VALID = Path(__file__).parent / "fixtures" / "valid.yaml"
LINES = VALID.read_text(encoding="utf-8").splitlines()
TOKENS = ["-3", "1.4", "140", "PERCENT(140)", "null", "[]", "{}", "true", "x", "'", "{a: 1}", "edge", "rollback",
          "nope", "  bad: key", "- 1", ":", "&a", "*a", "!!python/none"]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "replace-value", "insert", "duplicate"]))
        if action == "delete":
            del lines[index]
        elif action == "replace-value" and ":" in lines[index]:
            key = lines[index].split(":", 1)[0]
            lines[index] = f"{key}: {draw(st.sampled_from(TOKENS))}"
        elif action == "insert":
            lines.insert(index, draw(st.sampled_from(TOKENS)))
        else:
            lines.insert(index, lines[index])
        if not lines:
            break
    return "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated())
def test_any_mutation_gives_a_scenario_or_one_located_line(text: str) -> None:
    try:
        assert isinstance(load_scenario(VALID, text=text), Scenario)
    except ScenarioError as exc:
        message = str(exc)
        assert "\n" not in message
        assert re.match(rf"^{re.escape(str(VALID))}:\d+:\d+: .*expected .+, found .+", message), message
