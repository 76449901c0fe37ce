"""What a fuzz run found: every example's outcome, and the minimal failing one.

`FuzzResult` is a `RunResult`, so `chaos run`, the journal and the reports
treat a fuzz run like any other run: its verdicts are those of the minimal
failing example (or one held verdict per invariant, counting the examples),
and its replay command runs the finding's replay scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaos.invariants.verdict import Verdict
from chaos.runner.result import RunResult


@dataclass
class Example:
    """One example as run: what was drawn (described), whether it held, and how long it took."""

    index: int
    description: str
    held: bool
    seconds: float
    cached: bool = False
    violated: list[str] = field(default_factory=list)
    rows: int | None = None  # feature_files: the drawn file's row count

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "example": self.description, "held": self.held,
                               "seconds": round(self.seconds, 3)}
        if self.cached:
            out["cached"] = True
        if self.violated:
            out["violated"] = self.violated
        if self.rows is not None:
            out["rows"] = self.rows
        return out


@dataclass
class Finding:
    """The minimal failing example: what it is, the invariants it broke, and the files that replay it."""

    description: str
    verdicts: list[Verdict]
    steps: list[str]  # the example, one line per step, as a person reads it
    replay_file: Path | None = None
    files: list[Path] = field(default_factory=list)  # the feature files it pushed, saved
    smaller: str | None = None  # what happened to the same file with one row fewer
    flaky: str | None = None  # set when the example did not fail again when replayed
    shrink_stopped: bool = False  # the profile's shrink budget ran out: it may not be minimal

    def to_dict(self, *, replay: str) -> dict[str, Any]:
        return {"description": self.description, "steps": self.steps,
                "violated": [v.invariant for v in self.verdicts if not v.held],
                "files": [str(f) for f in self.files],
                "replay_scenario": str(self.replay_file) if self.replay_file else None, "replay": replay,
                "smaller": self.smaller, "flaky": self.flaky, "shrink_stopped": self.shrink_stopped}


@dataclass
class FuzzResult(RunResult):
    """A fuzz run's outcome, as a RunResult (`outcome` is violated when a failing example was found)."""

    strategy: str = ""
    profile: str = "default"
    examples_wanted: int = 0
    examples: list[Example] = field(default_factory=list)
    finding: Finding | None = None
    database: Path | None = None
    resets: dict[str, Any] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)
    # A failing example that held when Hypothesis replayed it: reported, not counted (a live fleet has its noise).
    unconfirmed: Finding | None = None
    noise: list[str] = field(default_factory=list)  # examples that failed once and held when run again

    examples_tried: int = 0  # examples Hypothesis ran, a file drawn twice counted twice

    @property
    def examples_run(self) -> int:
        """Examples run against the fleet (a file drawn again is not pushed again)."""
        return sum(1 for e in self.examples if not e.cached)

    def replay_command(self) -> str:
        if self.finding is not None and self.finding.replay_file is not None:
            return f"chaos run {self.finding.replay_file}"
        return self.fuzz_command()

    def fuzz_command(self) -> str:
        """The command that runs the same search again (the database replays the finding first)."""
        return f"chaos fuzz {self.scenario.path} --seed {self.seed} --examples {self.examples_wanted}"

    def explain(self) -> str:
        where = f"{self.scenario.path}:{self.scenario.mark.line if self.scenario.mark else 1}"
        if self.error:
            return f"{where}: the fuzz run could not happen: {self.error}"
        if self.finding is None:
            warning = ""
            if self.unconfirmed is not None:
                warning = (f"; one failing example did not fail again when replayed, so it is not counted: "
                           f"{self.unconfirmed.description} (replay: chaos run {self.unconfirmed.replay_file})")
            if self.scenario.expect == "violation":
                return (f"{where}: expected the fuzzer to find a failing example, but all {self.examples_run} "
                        f"examples held ({', '.join(v.invariant for v in self.verdicts)}); "
                        f"search again with more examples: {self.fuzz_command()} (or --profile nightly){warning}")
            return f"{where}: every invariant held in all {self.examples_run} examples{warning}"
        finding = self.finding
        lines = [f"{where}: fuzzing found a failing example ({self.strategy}, seed {self.seed}, after "
                 f"{self.examples_run} examples): {finding.description}"]
        lines += [f"  {line}" for line in finding.steps]
        for verdict in finding.verdicts:
            if not verdict.held:
                mark = verdict.mark or self.scenario.mark
                lines.append(f"{mark}: invariant {verdict.invariant!r} violated\n{verdict.explanation}")
        if finding.smaller:
            lines.append(f"and nothing smaller: {finding.smaller}")
        if finding.shrink_stopped:
            lines.append(f"shrinking stopped at the {self.profile} profile's budget: the example may not be minimal")
        for file in finding.files:
            lines.append(f"file: {file}")
        lines.append(f"replay: {self.replay_command()}")
        lines.append(f"search again: {self.fuzz_command()} (the example database replays this finding first)")
        if self.timeline:
            lines.append(f"timeline: {self.timeline}")
        return "\n".join(lines)

    def journal_extras(self) -> dict[str, Any]:
        """What the journal gains from a fuzz run: `examples` (the finding) and `fuzz` (how the search went)."""
        return {
            "examples": [self.finding.to_dict(replay=self.replay_command())] if self.finding else [],
            "fuzz": {"strategy": self.strategy, "profile": self.profile, "seed": self.seed,
                     "unconfirmed": self.unconfirmed.to_dict(replay=f"chaos run {self.unconfirmed.replay_file}")
                     if self.unconfirmed else None, "noise": self.noise,
                     "examples_wanted": self.examples_wanted, "examples_tried": self.examples_tried,
                     "examples_run": self.examples_run,
                     "database": str(self.database) if self.database else None, "search": self.fuzz_command(),
                     "resets": self.resets, "left_out": self.left_out,
                     "log": [e.to_dict() for e in self.examples]},
        }
