"""Every malformed scenario gives exactly one line: file:line:column: what was expected, found what.

Each file under malformed/ starts with `# error: LINE:COLUMN: FRAGMENT`, the
place and a part of the message the loader must give for it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chaos.errors import EXIT_CANNOT_RUN, UsageError
from chaos.scenario import ScenarioError, load_scenario

MALFORMED = sorted((Path(__file__).parent / "malformed").glob("*.yaml"))
# Mistakes only the loader can see: they need other parts of the file, the fleet file or the disk.
NOT_FOR_THE_SCHEMA = {
    "after_unknown_step.yaml",
    "duplicate_invariant_names.yaml",
    "duplicate_step_ids.yaml",
    "duplicate_yaml_key.yaml",  # JSON Schema sees the parsed mapping, where the last value won
    "heal_earlier_step.yaml",
    "heal_unknown_step.yaml",
    "missing_fleet_file.yaml",
    "replicas_unknown_service.yaml",
    "target_named_like_service.yaml",
    "unknown_fault_target.yaml",
    "unknown_service_in_condition.yaml",
    "until_unknown_step.yaml",
}


def expectation(path: Path) -> tuple[int, int, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""
    match = re.fullmatch(r"# error: (\d+):(\d+): (.+)", first)
    assert match, f"{path.name}: expected a first line '# error: LINE:COLUMN: FRAGMENT', found {first!r}"
    return int(match.group(1)), int(match.group(2)), match.group(3)


def test_there_are_enough_malformed_files() -> None:
    assert len(MALFORMED) >= 25


@pytest.mark.parametrize("path", MALFORMED, ids=[p.stem for p in MALFORMED])
def test_malformed_file_gives_one_line_at_the_right_place(path: Path) -> None:
    line, column, fragment = expectation(path)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}:{column}: "), message
    assert fragment in message
    assert ", found " in message and "expected " in message
    assert isinstance(caught.value, UsageError) and caught.value.exit_code == EXIT_CANNOT_RUN
    assert (caught.value.mark.line, caught.value.mark.column) == (line, column)


@pytest.mark.parametrize("path", MALFORMED, ids=[p.stem for p in MALFORMED])
def test_the_schema_rejects_what_the_loader_rejects(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    yaml = pytest.importorskip("yaml")
    from chaos.scenario.schema import json_schema

    if path.name in NOT_FOR_THE_SCHEMA:
        pytest.skip("a reference the schema cannot express")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return  # not YAML at all: nothing for a schema to say
    errors = list(jsonschema.Draft7Validator(json_schema()).iter_errors(document))
    assert errors, f"{path.name} passes the schema but not the loader"


def test_the_first_error_in_file_order_is_reported() -> None:
    text = (
        "title: t\n"
        "seed: -1\n"
        "fleet: {file: fixtures/compose.yaml}\n"
        "steps: [{id: a, fualt: 1}]\n"
        "invariants: [{name: x, always: {healthy: edge, at_least: 2}}]\n"
    )
    here = Path(__file__).parent / "inline.yaml"
    messages = set()
    for _ in range(3):
        with pytest.raises(ScenarioError) as caught:
            load_scenario(here, text=text)
        messages.add(str(caught.value))
    assert messages == {f"{here}:2:1: seed: expected a whole number >= 0, found -1"}


def test_a_missing_scenario_file_is_named() -> None:
    with pytest.raises(ScenarioError, match=r"^nowhere\.yaml:1:1: expected a scenario file, found no file at nowhere\.yaml$"):
        load_scenario("nowhere.yaml")
