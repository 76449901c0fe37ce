"""The live-fleet property: every drawn feature file, pushed through the scenario's steps, keeps the invariants.

One example: put the fleet back into its steady state (see `session.py`),
open a window, run the scenario's steps with the drawn file as the body of
the fuzzed step, watch for `settle` seconds (less when an invariant breaks
first), and decide the invariants over the window. A file already pushed in
this run is not pushed again: its outcome is remembered by the file's
digest, which is what makes shrinking cheap when Hypothesis tries a choice
that renders to the same bytes.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from docker.errors import DockerException
from hypothesis import given, seed

from chaos.errors import ChaosError, EnvironmentFailure
from chaos.fuzz.feature_spec import FeatureFileSpec
from chaos.fuzz.plan import FuzzPlan
from chaos.fuzz.profiles import FuzzConfig
from chaos.fuzz.result import Example
from chaos.fuzz.search import Abort, Budget, ExampleFailed, hypothesis_settings, is_final, run_search
from chaos.fuzz.session import LiveSession
from chaos.fuzz.strategies import feature_file_specs
from chaos.invariants.verdict import Verdict
from chaos.progress import Progress


@dataclass
class FileOutcome:
    """What one pushed file did."""

    spec: FeatureFileSpec
    body: bytes
    verdicts: list[Verdict]
    seconds: float
    index: int
    silent: bool = False  # its violations rest on nodes that did not answer in time, nothing more

    @property
    def held(self) -> bool:
        return all(v.held for v in self.verdicts)

    @property
    def description(self) -> str:
        return self.spec.describe()


class PropertyRun:
    """Runs the feature_files property of one plan against a live session."""

    def __init__(self, session: LiveSession, plan: FuzzPlan, config: FuzzConfig, *, progress: Progress) -> None:
        self.session, self.plan, self.config, self.progress = session, plan, config, progress
        self.outcomes: dict[bytes, FileOutcome] = {}
        self.examples: list[Example] = []
        self.noise: list[FileOutcome] = []  # failures that did not come back when the file was pushed again
        self.tried = 0  # examples Hypothesis ran (a file drawn twice is pushed once)
        self.budget = Budget(config.max_shrinks)

    def push(self, spec: FeatureFileSpec, *, budgeted: bool = True) -> FileOutcome:
        """Run one example with this file (or recall it, when the same bytes were pushed before).

        A failure that rests on silence alone (nodes that did not answer in
        time, see `Window.only_silence`) counts when the same file fails
        again right away: a live fleet on a busy machine has its slow
        moments, and one of them taken for a finding would send the shrinker
        after noise. A failure that does not come back is logged as noise
        and the file counts as held.
        """
        body = spec.render()
        key = hashlib.sha256(body).digest()
        known = self.outcomes.get(key)
        final = budgeted and is_final()
        # The example Hypothesis reports is run again for real: a remembered outcome would hide a flaky one.
        if known is not None and not final:
            self._log(known, cached=True)
            return known
        if budgeted:
            self.budget.admit()
        outcome = self._live(spec, body)
        if not outcome.held and not final and outcome.silent:
            again = self._live(spec, body)
            if again.held:
                self.noise.append(outcome)
                self.progress.say(f"  example {outcome.description}: failed once, held when pushed again "
                                  f"(not counted: {', '.join(v.invariant for v in outcome.verdicts if not v.held)})")
            outcome = again
        self.outcomes[key] = outcome
        return outcome

    def _live(self, spec: FeatureFileSpec, body: bytes) -> FileOutcome:
        started = time.monotonic()
        try:
            verdicts, silent = self._run(body)
        except ChaosError as exc:
            raise Abort(exc) from None
        except DockerException as exc:
            raise Abort(EnvironmentFailure(f"Docker failed during an example: {exc}")) from None
        outcome = FileOutcome(spec, body, verdicts, time.monotonic() - started, len(self.examples) + 1, silent)
        self._log(outcome, cached=False)
        return outcome

    def _run(self, body: bytes) -> tuple[list[Verdict], bool]:
        session, plan = self.session, self.plan
        session.ensure_steady()
        window = session.open_window(plan.invariants)
        for step in plan.scenario.steps:
            session.run_step(step, body=body if step is plan.push_step else None, window=window)
        verdicts = session.watch(window, settle=plan.fuzz.settle)
        return verdicts, window.only_silence(verdicts)

    def _log(self, outcome: FileOutcome, *, cached: bool) -> None:
        example = Example(len(self.examples) + 1, outcome.description, outcome.held,
                          0.0 if cached else outcome.seconds, cached=cached,
                          violated=[v.invariant for v in outcome.verdicts if not v.held], rows=outcome.spec.rows)
        self.examples.append(example)
        if cached:
            return
        run = sum(1 for e in self.examples if not e.cached)
        phase = "shrinking" if self.budget.failed_at is not None else f"{run}/{self.config.examples}"
        verdict = "held" if outcome.held else "VIOLATED " + ", ".join(example.violated)
        line = f"  example {phase}: {outcome.description}: {verdict} ({outcome.seconds:.1f}s)"
        if outcome.held:
            self.progress.status(line)
        else:
            self.progress.say(line)

    def search(self) -> tuple[FileOutcome | None, str | None]:
        """Run the property; returns the minimal failing outcome (or None) and why it is flaky (or None)."""
        strategy = feature_file_specs(**self.plan.file_arguments())

        def example(spec: FeatureFileSpec) -> None:
            self.tried += 1
            outcome = self.push(spec)
            if not outcome.held:
                self.budget.failed()
                raise ExampleFailed(outcome)

        # The settings go on after the seed: @seed alone would switch the example database off.
        test = hypothesis_settings(self.config)(seed(self.config.seed)(given(strategy)(example)))
        return run_search(test, self.config)

    def one_row_fewer(self, outcome: FileOutcome) -> str | None:
        """Push the minimal file with one row fewer (unless already pushed), to show nothing smaller breaks."""
        spec = outcome.spec
        if spec.rows == 0 or spec.malformed:
            return None
        smaller = spec.replace(rows=spec.rows - 1, duplicates=min(spec.duplicates, spec.rows - 1))
        try:
            result = self.push(smaller, budgeted=False)
        except Abort as abort:
            raise abort.error from None
        if result.held:
            return f"the same file with {smaller.rows} rows held"
        broken = ", ".join(v.invariant for v in result.verdicts if not v.held)
        return f"the same file with {smaller.rows} rows failed too ({broken})"
