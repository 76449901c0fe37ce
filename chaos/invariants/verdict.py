"""A verdict: whether one invariant held over a timeline, and the evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from chaos.yamlpos import Mark


@dataclass(frozen=True)
class Verdict:
    """The outcome of one invariant.

    `closest`, `at` and `seq` point at the instant that matters most: the
    first counterexample of a violated always/never, the closest a violated
    eventually came (its best value and the first time it got there), the
    instant a held eventually was satisfied, or the closest a held
    always/never came to failing. `nodes` are the nodes at fault at that
    instant (empty for held verdicts). `explanation` is multi-line text for a
    person; `summary` is one line.
    """

    invariant: str
    held: bool
    explanation: str
    summary: str
    closest: float | None = None
    at: float | None = None
    nodes: list[str] = field(default_factory=list)
    seq: int | None = None
    mark: Mark | None = None

    def to_dict(self) -> dict[str, Any]:
        """The verdict as JSON-ready data (the mark as `file:line:column`)."""
        data = asdict(self)
        data["mark"] = None if self.mark is None else str(self.mark)
        return data
