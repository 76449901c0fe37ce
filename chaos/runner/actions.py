"""Actions of a step: a named HTTP request of the fleet file, with its body made from `with:`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chaos.errors import UsageError
from chaos.faults.feature_file import feature_file
from chaos.fleet.compose import ActionSpec


def action_body(spec: ActionSpec, params: dict[str, Any], *, base: Path, where: str) -> bytes | None:
    """The request body for an action: generated features, a file, JSON, or none."""
    if spec.body == "none":
        return None
    if spec.body == "features":
        if "file" in params:
            return _read(base / str(params["file"]), where)
        count = params.get("features")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise UsageError(f"{where}: action {spec.name!r} expected with.features, a whole number >= 0, "
                             f"or with.file, found {params!r}")
        duplicates = params.get("duplicates", 0)
        return feature_file(count, duplicates=int(duplicates))
    if spec.body == "file":
        if "file" not in params:
            raise UsageError(f"{where}: action {spec.name!r} expected with.file, found {params!r}")
        return _read(base / str(params["file"]), where)
    return json.dumps(params.get("json", params)).encode()


def _read(path: Path, where: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{where}: cannot read {path}: {exc.strerror}") from None
