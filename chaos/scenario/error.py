"""The one error a scenario file can raise, and where it points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaos.errors import UsageError
from chaos.yamlpos import Mark


class ScenarioError(UsageError):
    """A scenario file that cannot be used.

    `str()` is exactly one line, `file:line:column: path: expected X, found Y`,
    because it is what a person reads in a CI log and an editor can jump to.
    """

    def __init__(self, *, mark: Mark, path: str, expected: str, found: str) -> None:
        where = f"{path}: " if path else ""
        message = f"{mark}: {where}expected {expected}, found {found}"
        # One line, whatever a value or a YAML problem carried in.
        super().__init__(" ".join(message.split()))
        self.mark, self.path, self.expected, self.found = mark, path, expected, found


@dataclass(frozen=True)
class At:
    """Where a value sits: the nearest mark (scalars carry none) and its key path."""

    mark: Mark
    path: str

    def key(self, name: str, mark: Mark) -> At:
        return At(mark, f"{self.path}.{name}" if self.path else name)

    def item(self, index: int, mark: Mark) -> At:
        return At(mark, f"{self.path}[{index}]")

    def fail(self, expected: str, found: str) -> ScenarioError:
        return ScenarioError(mark=self.mark, path=self.path, expected=expected, found=found)


def shown(value: Any) -> str:
    """A short, one-line rendering of a found value for an error message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, (list, tuple)):
        return "a list" if value else "an empty list"
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= 60 else text[:56] + "...'"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    return f"a {type(value).__name__} ({str(value)[:40]})"
