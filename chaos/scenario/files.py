"""Which scenario files a list of paths means."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from chaos.errors import UsageError

SUFFIXES = (".yaml", ".yml")


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and folders expanded to the *.yaml / *.yml files inside them (recursively), sorted.

    A path that does not exist is a UsageError naming it; a file is taken as
    given whatever its suffix, because the person named it on purpose.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = [p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES]
            found.extend(sorted(inside))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{path}: expected a scenario file or a folder of them, found nothing there")
    unique: list[Path] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique
