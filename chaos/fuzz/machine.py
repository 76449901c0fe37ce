"""Stateful fuzzing: a Hypothesis rule-based state machine whose rules are the scenario's moves.

Each drawn sequence starts from the fleet's steady state (the `initialize`
rule resets it) and makes up to `bounds.max_steps` moves (see `plan.py`:
push a drawn file, roll back, fault drawn nodes, cut the control plane,
wait and heal). After every move the fleet is watched for `settle` seconds,
or until the move's `eventually` invariants are decided, and its invariants
are checked over that move's window. A violation ends the sequence;
Hypothesis then shrinks it to the shortest sequence (and the smallest
files and node sets) that still fails, and the run writes it out as a
scenario that `chaos run` replays.

Rules are built from the plan, so a move the fleet cannot make (a link
fault on a fleet without links) is not a rule at all, rather than a rule
that is skipped at run time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docker.errors import DockerException
from hypothesis import seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from chaos.errors import ChaosError, EnvironmentFailure
from chaos.fuzz.feature_spec import FeatureFileSpec
from chaos.fuzz.plan import FuzzPlan, Move
from chaos.fuzz.profiles import FuzzConfig
from chaos.fuzz.result import Example
from chaos.fuzz.search import Abort, Budget, ExampleFailed, hypothesis_settings, run_search
from chaos.fuzz.session import ROLLBACK_ACTION, LiveSession
from chaos.fuzz.strategies import feature_file_specs
from chaos.invariants.verdict import Verdict
from chaos.progress import Progress


@dataclass
class MoveRecord:
    """One move as made: what was drawn, what it hit, how long the fleet was watched, the verdicts."""

    move: Move
    id: str  # the move's id in the sequence (and in its replay): step id and position, e.g. rollback-2
    verdicts: list[Verdict]
    watched: float
    spec: FeatureFileSpec | None = None
    body: bytes | None = None
    nodes: list[str] | None = None

    def describe(self) -> str:
        if self.spec is not None:
            return f"{self.id}: {self.move.step.action} a file of {self.spec.describe()}"
        if self.move.kind in ("fault", "cut", "link"):
            fault = self.move.step.fault
            assert fault is not None
            mode = (self.move.params or {}).get("mode")
            kind = f"{fault.kind} ({mode})" if mode else fault.kind
            towards = f" towards {self.move.link}" if self.move.link and self.move.kind != "fault" else ""
            return f"{self.id}: {kind}{towards} on {', '.join(self.nodes or []) or '(no free node)'}"
        if self.move.kind == "wait":
            return f"{self.id}: wait" + (f" {self.move.step.wait.for_:g}s" if self.move.step.wait and
                                         self.move.step.wait.for_ else "")
        return f"{self.id}: {self.move.step.action}"

    @property
    def held(self) -> bool:
        return all(v.held for v in self.verdicts)


@dataclass
class Sequence:
    """A drawn sequence of moves, as run."""

    moves: list[MoveRecord] = field(default_factory=list)

    @property
    def description(self) -> str:
        return " -> ".join(m.describe().split(": ", 1)[1] for m in self.moves) or "(no moves)"

    @property
    def verdicts(self) -> list[Verdict]:
        return self.moves[-1].verdicts if self.moves else []


def _python_name(step_id: str) -> str:
    name = re.sub(r"\W", "_", step_id)
    return name if name[:1].isalpha() else f"move_{name}"


class MachineRun:
    """Runs the fleet_steps state machine of one plan against a live session."""

    def __init__(self, session: LiveSession, plan: FuzzPlan, config: FuzzConfig, *, progress: Progress) -> None:
        self.session, self.plan, self.config, self.progress = session, plan, config, progress
        self.examples: list[Example] = []
        self.budget = Budget(config.max_shrinks)
        self.current: Sequence | None = None
        self.started = 0.0
        self.pushed = False  # whether this sequence pushed a file yet
        self.skipping = False  # past the shrink budget: the sequence's moves are not run
        self.tried = 0  # sequences Hypothesis ran

    # -- what the rules do -----------------------------------------------------

    def begin(self) -> None:
        self.tried += 1
        self.skipping = self.budget.spent()
        self.current = Sequence()
        self.pushed = False
        self.started = time.monotonic()
        if not self.skipping:
            self._guard(self.session.ensure_steady)

    def make(self, move: Move, *, spec: FeatureFileSpec | None = None, nodes: list[str] | None = None) -> None:
        sequence = self.current
        assert sequence is not None
        if move.kind == "push":
            self.pushed = True
        if self.skipping:
            return
        session, plan = self.session, self.plan
        record_id = f"{move.step.id}-{len(sequence.moves) + 1}"
        body = spec.render() if spec is not None else None
        if move.kind in ("fault", "cut", "link") and nodes is None:
            nodes = session.fault_nodes(move.step)

        def run() -> tuple[list[Verdict], float, list[str] | None]:
            window = session.open_window(plan.invariants_after(move))
            started = time.monotonic()
            session.run_step(move.step, body=body, nodes=nodes, link=move.link, params=move.params, window=window)
            hit = list(session.applied) if move.kind in ("fault", "cut", "link") else None
            verdicts = session.watch(window, settle=plan.fuzz.settle)
            session.note_if_steady(held=all(v.held for v in verdicts))
            return verdicts, time.monotonic() - started, hit

        verdicts, watched, hit = self._guard(run)
        sequence.moves.append(MoveRecord(move, record_id, verdicts, watched, spec, body, hit))
        if not all(v.held for v in verdicts):
            self.budget.failed()
            self._log(sequence, held=False)
            raise ExampleFailed(Sequence(list(sequence.moves)))

    def end(self) -> None:
        sequence = self.current
        if sequence is not None and not self.skipping and all(m.held for m in sequence.moves):
            self._log(sequence, held=True)
        self.current = None

    def _guard(self, work: Callable[[], Any]) -> Any:
        try:
            return work()
        except ChaosError as exc:
            raise Abort(exc) from None
        except DockerException as exc:
            raise Abort(EnvironmentFailure(f"Docker failed during a move: {exc}")) from None

    def _log(self, sequence: Sequence, *, held: bool) -> None:
        seconds = time.monotonic() - self.started
        violated = sorted({v.invariant for v in sequence.verdicts if not v.held})
        self.examples.append(Example(len(self.examples) + 1, sequence.description, held, seconds, violated=violated))
        shrinking = self.budget.failed_at is not None and held
        phase = "shrinking" if shrinking else f"{len(self.examples)}/{self.config.examples}"
        line = f"  sequence {phase}: {sequence.description}: " + ("held" if held else "VIOLATED " + ", ".join(violated))
        if held:
            self.progress.status(line + f" ({seconds:.1f}s)")
        else:
            self.progress.say(line + f" ({seconds:.1f}s)")

    # -- the machine -----------------------------------------------------------

    def machine(self) -> type[RuleBasedStateMachine]:
        """The state machine class: an initialize rule (reset) and one rule per move."""
        run = self
        namespace: dict[str, Any] = {}

        def steady_state(machine: RuleBasedStateMachine) -> None:
            run.begin()

        def teardown(machine: RuleBasedStateMachine) -> None:
            run.end()

        namespace["steady_state"] = initialize()(steady_state)
        namespace["teardown"] = teardown
        for move in self.plan.moves:
            name = _python_name(move.step.id)
            while name in namespace:
                name += "_"
            namespace[name] = self._rule(move, name)
        return type("FleetSteps", (RuleBasedStateMachine,), namespace)

    def _rule(self, move: Move, name: str) -> Any:
        run = self
        if move.kind == "push":
            def push(machine: RuleBasedStateMachine, file: FeatureFileSpec) -> None:
                run.make(move, spec=file)

            push.__name__ = name
            return rule(file=feature_file_specs(**self.plan.file_arguments()))(push)
        if move.draw:
            pool = self.session.fault_nodes(move.step)

            def fault(machine: RuleBasedStateMachine, nodes: list[str]) -> None:
                run.make(move, nodes=nodes)

            fault.__name__ = name
            # Lists of nodes shrink to the first node alone.
            return rule(nodes=st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True))(fault)

        def plain(machine: RuleBasedStateMachine) -> None:
            run.make(move)

        plain.__name__ = name
        if move.kind == "action" and move.step.action == ROLLBACK_ACTION:
            # A rollback before anything was pushed tests nothing, and would crowd out the sequences that matter.
            return precondition(lambda machine: run.pushed)(rule()(plain))
        return rule()(plain)

    def search(self) -> tuple[Sequence | None, str | None]:
        """Run the state machine; returns the minimal failing sequence (or None) and why it is flaky (or None)."""
        from hypothesis.stateful import get_state_machine_test

        machine = seed(self.config.seed)(self.machine())
        # The initialize rule (the reset) counts as a step of its own.
        settings = hypothesis_settings(self.config, stateful_step_count=self.plan.fuzz.bounds.max_steps + 1)
        test = get_state_machine_test(machine, settings=settings)
        return run_search(test, self.config)
