"""What one scenario run found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from chaos.invariants.verdict import Verdict
from chaos.scenario import Scenario


@dataclass
class RunResult:
    """The verdicts of one run, and whether they are what the scenario expected.

    `error` is set when the run could not happen (a fleet that never became
    healthy, a steady state that never held before the steps): no verdict
    then means anything.
    """

    scenario: Scenario
    run_id: str
    seed: int
    verdicts: list[Verdict] = field(default_factory=list)
    stopped_by: Verdict | None = None
    error: str | None = None
    interrupted: bool = False
    journal: Path | None = None
    timeline: Path | None = None
    duration: float = 0.0
    kept_fleet: bool = False

    @property
    def violations(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.held]

    @property
    def outcome(self) -> str:
        """held | violated | error | interrupted"""
        if self.interrupted:
            return "interrupted"
        if self.error:
            return "error"
        return "violated" if self.violations or self.stopped_by else "held"

    @property
    def as_expected(self) -> bool:
        return self.outcome == ("violated" if self.scenario.expect == "violation" else "held")

    def replay_command(self) -> str:
        return f"chaos run {self.scenario.path} --seed {self.seed}"

    def explain(self) -> str:
        """The text a person reads when the run did not go as expected."""
        where = f"{self.scenario.path}:{self.scenario.mark.line if self.scenario.mark else 1}"
        if self.error:
            return f"{where}: the run could not happen: {self.error}"
        if self.outcome == "held" and self.scenario.expect == "violation":
            return (f"{where}: expected a violation, but every invariant held "
                    f"({', '.join(v.invariant for v in self.verdicts)}); the harness did not catch the broken design")
        parts = []
        for verdict in ([self.stopped_by] if self.stopped_by else []) + self.violations:
            mark = verdict.mark or self.scenario.mark
            parts.append(f"{mark}: invariant {verdict.invariant!r} violated\n{verdict.explanation}")
        parts.append(f"replay: {self.replay_command()}")
        if self.timeline:
            parts.append(f"timeline: {self.timeline}")
        return "\n".join(parts)
