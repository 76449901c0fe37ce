"""YAML that remembers where each value came from.

Scenario and fleet files are read with PyYAML's composer, and every mapping,
list and scalar keeps its file, line and column, so an error can point a
person at the exact spot (`scenario.yaml:12:7: ...`) instead of at a key
path they have to hunt for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from chaos.errors import UsageError


@dataclass(frozen=True)
class Mark:
    """A place in a file: 1-based line and column."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class YamlError(UsageError):
    """A file that is not the YAML it should be; the message starts with file:line:column."""

    def __init__(self, message: str, *, mark: Mark) -> None:
        super().__init__(f"{mark}: {message}")
        self.mark = mark


class PosDict(dict):
    """A mapping with the mark of the mapping itself and of each key."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark: Mark = Mark("<default>", 1, 1)
        self.key_marks: dict[str, Mark] = {}


class PosList(list):
    """A list with the mark of the list and of each item."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.mark: Mark = Mark("<default>", 1, 1)
        self.item_marks: list[Mark] = []


def mark_of(value: Any, default: Mark) -> Mark:
    """The mark of a loaded value, or `default` for scalars (which carry none)."""
    return getattr(value, "mark", default)


def _mark(path: str, node: yaml.Node) -> Mark:
    return Mark(path, node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(path: str, node: yaml.Node, constructor: SafeConstructor) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = PosDict()
        out.mark, out.key_marks = _mark(path, node), {}
        constructor.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = _convert(path, key_node, constructor)
            if not isinstance(key, str):
                raise YamlError(f"expected a text key, found {key!r}", mark=_mark(path, key_node))
            if key in out:
                raise YamlError(f"duplicate key {key!r}", mark=_mark(path, key_node))
            out.key_marks[key] = _mark(path, key_node)
            out[key] = _convert(path, value_node, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = PosList()
        items.mark = _mark(path, node)
        items.item_marks = [_mark(path, n) for n in node.value]
        items.extend(_convert(path, n, constructor) for n in node.value)
        return items
    return constructor.construct_object(node, deep=True)


def load(path: str | Path, *, text: str | None = None) -> Any:
    """Load one YAML document from `path`, keeping marks; raises YamlError or UsageError."""
    shown = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(f"{shown}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{shown}: cannot be read: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        where = exc.problem_mark or exc.context_mark
        mark = Mark(shown, where.line + 1, where.column + 1) if where else Mark(shown, 1, 1)
        raise YamlError(f"not valid YAML: {exc.problem or exc.context}", mark=mark) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}", mark=Mark(shown, 1, 1)) from None
    if node is None:
        raise YamlError("the file is empty", mark=Mark(shown, 1, 1))
    return _convert(shown, node, SafeConstructor())
