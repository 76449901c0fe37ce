"""The committed JSON Schema is the one the model declares, and it is sound draft-07."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.scenario.schema import SCHEMA_FILE, json_schema, main, schema_text

VALID = Path(__file__).parent / "fixtures" / "valid.yaml"


def test_the_committed_schema_is_up_to_date() -> None:
    committed = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
    assert committed == schema_text(), (
        "chaos/scenario/scenario.schema.json differs from the model's declarations; "
        "regenerate it with: python -m chaos.scenario.schema"
    )


def test_main_writes_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "schema.json"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == schema_text()
    assert str(target) in capsys.readouterr().out


def test_the_schema_describes_the_format() -> None:
    schema = json_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["title", "fleet", "steps", "invariants"]
    for name, definition in schema["definitions"].items():
        assert definition["additionalProperties"] is False, name
        assert definition["description"], name
        for key, prop in definition["properties"].items():
            assert prop.get("description"), f"{name}.{key} has no description"
    assert schema["definitions"]["Fault"]["properties"]["kind"]["enum"][0] == "kill"
    assert schema["definitions"]["Step"]["properties"]["id"]["pattern"] == "^[a-z0-9][a-z0-9_-]*$"


def test_the_schema_is_valid_draft7_and_accepts_the_valid_scenario() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    yaml = pytest.importorskip("yaml")
    jsonschema.Draft7Validator.check_schema(json_schema())
    document = yaml.safe_load(VALID.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft7Validator(json_schema()).iter_errors(document)) == []
