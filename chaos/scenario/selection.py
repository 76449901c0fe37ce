"""Target selection: which nodes a fault hits, chosen with the run's seed.

    select: ALL           every node of the service
    select: COUNT(3)      3 nodes, chosen at random (seeded)
    select: PERCENT(50)   half the nodes, rounded half up, at least 1 when > 0
    select: [edge-1, edge-3]   exactly these nodes

The choice for a target depends only on the scenario's seed, the target's
name and the node names, so a seed printed by a failed run picks the same
nodes again.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chaos.scenario.error import At, ScenarioError, shown
from chaos.scenario.spec import Spec

if TYPE_CHECKING:
    from chaos.scenario.model import Scenario

# The loader reads the loose form and then says what is wrong with the number;
# the schema uses the strict one so an editor flags PERCENT(140) as it is typed.
SELECT_PATTERN = r"^(ALL|COUNT\(\d+\)|PERCENT\(\d+(\.\d+)?\))$"
STRICT_SELECT_PATTERN = r"^(ALL|COUNT\(\d+\)|PERCENT\((100(\.0+)?|\d{1,2}(\.\d+)?)\))$"
NODE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_EXPECTED = "ALL, COUNT(n), PERCENT(n) with n from 0 to 100, or a list of node names"


@dataclass(frozen=True)
class Selection:
    """How many or which nodes: `kind` is all | count | percent | names."""

    kind: str
    amount: float = 0.0
    names: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.kind == "all":
            return "ALL"
        if self.kind == "count":
            return f"COUNT({int(self.amount)})"
        if self.kind == "percent":
            return f"PERCENT({self.amount:g})"
        return "[" + ", ".join(self.names) + "]"


ALL = Selection("all")


class SelectionSpec(Spec):
    """Reads `select:` (text form or a list of node names) into a Selection."""

    expected = _EXPECTED

    def takes(self, value: Any) -> bool:
        return isinstance(value, (str, list))

    def read(self, value: Any, at: At) -> Selection:
        if isinstance(value, list):
            if not value:
                raise at.fail(_EXPECTED, shown(value))
            names: list[str] = []
            marks = getattr(value, "item_marks", [at.mark] * len(value))
            for index, item in enumerate(value):
                item_at = at.item(index, marks[index])
                if not isinstance(item, str) or not re.fullmatch(NODE_NAME_PATTERN, item):
                    raise item_at.fail("a node name like edge-3", shown(item))
                if item in names:
                    raise item_at.fail("each node name once", f"{item!r} twice")
                names.append(item)
            return Selection("names", names=tuple(names))
        if not isinstance(value, str) or not re.fullmatch(SELECT_PATTERN, value.strip()):
            raise at.fail(_EXPECTED, shown(value))
        text = value.strip()
        if text == "ALL":
            return ALL
        amount = float(text[text.index("(") + 1 : -1])
        if text.startswith("PERCENT"):
            if amount > 100:
                raise at.fail("a percentage from 0 to 100 in PERCENT(n)", shown(value))
            return Selection("percent", amount=amount)
        return Selection("count", amount=amount)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": "string", "pattern": STRICT_SELECT_PATTERN},
                {"type": "array", "items": {"type": "string", "pattern": NODE_NAME_PATTERN}, "minItems": 1, "uniqueItems": True},
            ]
        }


def natural_key(name: str) -> list[Any]:
    """Sort key that puts edge-2 before edge-10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def percent_count(percent: float, total: int) -> int:
    """PERCENT(p) of `total` nodes: rounded half up, and at least 1 when p > 0."""
    if percent <= 0 or total == 0:
        return 0
    # A little slack so PERCENT(10) of 30 is 3, not 2 because 0.1 * 30 < 3 in binary.
    count = math.floor(percent * total / 100 + 0.5 + 1e-9)
    return min(total, max(1, count))


def select_nodes(target_name: str, selection: Selection, nodes: list[str], *, seed: int, mark: Any = None) -> list[str]:
    """The nodes `selection` picks from `nodes` (one service's), naturally sorted."""
    ordered = sorted(nodes, key=natural_key)
    where = At(mark, f"targets.{target_name}.select") if mark is not None else None

    def fail(expected: str, found: str) -> ScenarioError:
        if where is not None:
            return where.fail(expected, found)
        return ScenarioError(mark=_NOWHERE, path=f"targets.{target_name}.select", expected=expected, found=found)

    if selection.kind == "all":
        return ordered
    if selection.kind == "names":
        unknown = [n for n in selection.names if n not in ordered]
        if unknown:
            raise fail("node names among " + ", ".join(ordered), f"unknown node {unknown[0]!r}")
        return sorted(selection.names, key=natural_key)
    if selection.kind == "count":
        count = int(selection.amount)
        if count > len(ordered):
            raise fail(f"COUNT(n) with n at most the service's {len(ordered)} nodes", f"COUNT({count})")
    else:
        count = percent_count(selection.amount, len(ordered))
    rng = random.Random(f"{seed}:{target_name}")
    return sorted(rng.sample(ordered, count), key=natural_key)


def select_targets(scenario: Scenario, nodes_by_service: dict[str, list[str]]) -> dict[str, list[str]]:
    """For each target of `scenario`, the node names it selects (seeded, deterministic).

    Raises ScenarioError (pointing at the target's line) when a target names a
    service that has no nodes listed, asks for more nodes than there are, or
    names a node that does not exist.
    """
    chosen: dict[str, list[str]] = {}
    for name, target in scenario.targets.items():
        mark = target.marks.get("select", target.mark)
        if target.service not in nodes_by_service:
            raise At(target.marks.get("service", target.mark), f"targets.{name}.service").fail(
                "a service of the fleet (" + ", ".join(sorted(nodes_by_service)) + ")", shown(target.service)
            )
        chosen[name] = select_nodes(name, target.select, nodes_by_service[target.service], seed=scenario.seed, mark=mark)
    return chosen


class _Nowhere:
    def __str__(self) -> str:
        return "<no file>:0:0"


_NOWHERE: Any = _Nowhere()
