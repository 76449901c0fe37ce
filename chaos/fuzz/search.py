"""The Hypothesis plumbing both fuzzers share: settings, the shrink budget, and telling a finding from a failure to run.

Hypothesis treats every exception in a test as a failing example and
shrinks it. A fleet that cannot be reset or a Docker daemon that went away
is not a finding, so such errors travel as `Abort`, a BaseException, which
Hypothesis lets through untouched.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from hypothesis import HealthCheck, Phase, Verbosity, reject, settings
from hypothesis.errors import Flaky

from chaos.errors import ChaosError
from chaos.fuzz.profiles import FuzzConfig

PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)


class ExampleFailed(Exception):
    """An example broke an invariant; carries what the fuzzer needs to report it."""

    def __init__(self, finding: Any) -> None:
        super().__init__(getattr(finding, "description", "a failing example"))
        self.finding = finding


class Abort(BaseException):
    """The run cannot go on (the environment failed, not the fleet's design)."""

    def __init__(self, error: ChaosError) -> None:
        super().__init__(str(error))
        self.error = error


def hypothesis_settings(config: FuzzConfig, **extra: Any) -> settings:
    # No deadline (a live example takes seconds), no health checks (slow draws are the fleet, not the strategy),
    # no explain phase (it re-runs examples against the fleet only to annotate the report).
    return settings(max_examples=config.examples, deadline=None, database=config.database, derandomize=False,
                    phases=PHASES, suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
                    print_blob=False, verbosity=Verbosity.quiet, **extra)


def is_final() -> bool:
    """Whether Hypothesis is replaying the minimal example it will report."""
    try:
        from hypothesis.control import current_build_context

        return bool(current_build_context().is_final)
    except Exception:  # noqa: BLE001 - outside a test, or a Hypothesis without the flag: treat as not final
        return False


class Budget:
    """Counts examples after the first failure; past `max_shrinks`, new ones are not run against the fleet.

    The property runner rejects them (an invalid example costs nothing, so
    Hypothesis ends its shrink passes at once and reports the smallest
    failing example found so far); the state machine lets them pass unrun,
    since a rejection after its first draws would make Hypothesis's data
    generation look inconsistent. The final replay of the reported example
    always runs.
    """

    def __init__(self, max_shrinks: int | None) -> None:
        self.max_shrinks = max_shrinks
        self.failed_at: float | None = None
        self.after_failure = 0
        self.stopped = False

    def spent(self) -> bool:
        """Whether this example is past the budget (counting it in when it is not)."""
        if self.failed_at is None or self.max_shrinks is None or is_final():
            return False
        if self.after_failure >= self.max_shrinks:
            self.stopped = True
            return True
        self.after_failure += 1
        return False

    def admit(self) -> None:
        """Reject the example when it is past the budget."""
        if self.spent():
            reject()

    def failed(self) -> None:
        if self.failed_at is None:
            self.failed_at = time.monotonic()


def run_search(test: Callable[[], None], config: FuzzConfig) -> tuple[Any | None, str | None]:
    """Run a Hypothesis test; returns (the minimal finding or None, why it is flaky or None)."""
    test._hypothesis_internal_database_key = config.database_key  # type: ignore[attr-defined]
    try:
        test()
    except ExampleFailed as failed:
        return failed.finding, None
    except Abort as abort:
        raise abort.error from None
    except Flaky as flaky:
        found = _first_finding(flaky)
        reason = "the example failed once and then held when Hypothesis replayed it (timing-dependent?)"
        return found, reason
    return None, None


def _first_finding(error: BaseException) -> Any | None:
    for inner in getattr(error, "exceptions", ()) or ():
        if isinstance(inner, ExampleFailed):
            return inner.finding
        found = _first_finding(inner)
        if found is not None:
            return found
    return None
