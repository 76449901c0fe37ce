"""A suite: the runs of one nightly job (journals) and the scenarios that could not run at all.

Every report (JUnit, HTML, Markdown) reads a Suite, so they agree on what
passed: a run passes when its outcome is what its scenario expected, fails
when it is not, and is an error when the run could not happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chaos.report.journal import Journal

PASS, FAIL, ERROR = "pass", "fail", "error"


@dataclass(frozen=True)
class Unrun:
    """A scenario with no journal: it did not load, or its fleet never came up; `message` says why."""

    path: str
    message: str


def status(journal: Journal) -> str:
    """pass | fail | error"""
    if journal.data["outcome"] in ("error", "interrupted"):
        return ERROR
    return PASS if journal.data["as_expected"] else FAIL


@dataclass(frozen=True)
class Suite:
    journals: list[Journal]
    unrun: list[Unrun] = field(default_factory=list)

    def count(self, wanted: str) -> int:
        return sum(status(j) == wanted for j in self.journals) + (len(self.unrun) if wanted == ERROR else 0)

    @property
    def total(self) -> int:
        return len(self.journals) + len(self.unrun)

    @property
    def ok(self) -> bool:
        return self.count(PASS) == self.total

    def headline(self) -> str:
        """e.g. `3 scenarios: 2 passed, 1 failed`"""
        parts = [f"{self.count(PASS)} passed"]
        parts += [f"{n} {word}" for n, word in ((self.count(FAIL), "failed"), (self.count(ERROR), "could not run")) if n]
        noun = "scenario" if self.total == 1 else "scenarios"
        return f"{self.total} {noun}: {', '.join(parts)}"
