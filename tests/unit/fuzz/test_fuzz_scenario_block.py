"""The `fuzz:` block of a scenario file: what it reads to, its defaults, and its errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_scenarios import FILES, STEPS, scenario

from chaos.scenario import ScenarioError
from chaos.scenario.model import FUZZ_DIMENSIONS, Fuzz, FuzzBounds
from chaos.scenario.schema import json_schema


def test_the_block_reads_into_fuzz_and_bounds(tmp_path: Path) -> None:
    fuzz = scenario(FILES, tmp_path).fuzz
    assert fuzz == Fuzz("feature_files", FuzzBounds(200, None, 262144, "any", ("duplicates", "names")), None,
                        ("edges-stay-up",), 200, 0.7)
    steps = scenario(STEPS, tmp_path).fuzz
    assert steps is not None and steps.strategy == "fleet_steps"
    assert (steps.bounds.counts, steps.bounds.vary, steps.bounds.max_steps) == ("boundaries", (), 3)


def test_defaults_of_a_minimal_block(tmp_path: Path) -> None:
    text = FILES[: FILES.index("fuzz:")] + "fuzz: {strategy: feature_files}\n"
    fuzz = scenario(text, tmp_path).fuzz
    assert fuzz == Fuzz("feature_files")
    assert (fuzz.max_examples, fuzz.settle, fuzz.invariants, fuzz.step) == (100, 1.0, (), None)
    assert fuzz.bounds == FuzzBounds() and fuzz.bounds.vary == FUZZ_DIMENSIONS


def test_a_scenario_without_the_block_has_none(tmp_path: Path) -> None:
    assert scenario(FILES[: FILES.index("fuzz:")], tmp_path).fuzz is None


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (("strategy: feature_files", "strategy: features"), "strategy:",
         r"fuzz.strategy: expected one of feature_files, fleet_steps, found 'features'"),
        (("  max_examples: 200", "  max_exampels: 200"), "max_exampels",
         r"expected one of the keys .* found unknown key 'max_exampels' \(did you mean 'max_examples'\?\)"),
        (("invariants: [edges-stay-up]", "invariants: [edges-up]"), "invariants: [edges-up]",
         r"fuzz.invariants\[0\]: expected an invariant name \(edges-stay-up, no-restarts\), found 'edges-up'"),
        (("vary: [duplicates, names]", "vary: [duplicates, colours]"), "vary:",
         r"fuzz.bounds.vary\[1\]: expected one of duplicates, names"),
        (("  settle: 0.7", "  settle: 0"), "settle:", r"fuzz.settle: expected a number from 0.1 to 60, found 0"),
        (("  settle: 0.7", "  settle: 0.7\n  step: pushing"), "step: pushing",
         r"fuzz.step: expected a step id \(warm-up, push\), found 'pushing'"),
    ],
)
def test_mistakes_in_the_block_name_file_line_and_what_was_expected(tmp_path: Path, change: tuple[str, str],
                                                                     where: str, message: str) -> None:
    assert change[0] in FILES
    text = FILES.replace(*change)
    with pytest.raises(ScenarioError, match=message) as caught:
        scenario(text, tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / 'fuzz.yaml'}:{line_of(text, where)}:")


def test_the_schema_describes_the_block() -> None:
    schema = json_schema()
    fuzz = schema["definitions"]["Fuzz"]
    assert fuzz["required"] == ["strategy"]
    assert fuzz["properties"]["strategy"]["enum"] == ["feature_files", "fleet_steps"]
    bounds = schema["definitions"]["FuzzBounds"]["properties"]
    assert bounds["vary"]["items"]["enum"] == list(FUZZ_DIMENSIONS)
    assert schema["properties"]["fuzz"]["allOf"] == [{"$ref": "#/definitions/Fuzz"}]
