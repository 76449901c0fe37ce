"""JSON Schema (draft-07) for scenario files, generated from the model's declarations.

Editors use it to complete and check scenario files as they are typed (the
first line of a scenario says where it is). The committed copy,
`chaos/scenario/scenario.schema.json`, is regenerated with

    python -m chaos.scenario.schema

and a unit test fails when it differs from what the model declares.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from chaos.scenario.model import Scenario

SCHEMA_FILE = Path(__file__).with_name("scenario.schema.json")


def json_schema() -> dict[str, Any]:
    """The scenario file's JSON Schema, built from `Scenario.SHAPE` and the shapes it refers to."""
    definitions: dict[str, Any] = {}
    root = Scenario.SHAPE.schema(definitions)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        **root,
        "definitions": dict(sorted(definitions.items())),
    }


def schema_text() -> str:
    """The schema as the committed file holds it: indented, with a final newline."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the schema to `scenario.schema.json` beside this module (or to the path given)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else SCHEMA_FILE
    target.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
