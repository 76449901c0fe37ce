"""What a scenario's `fuzz:` block asks for, checked against the fleet file: no Docker needed.

    plan = make_plan(scenario, spec)     # raises UsageError naming file:line
    plan.push_step                       # feature_files: the step whose body each example draws
    plan.moves                           # fleet_steps: the moves the state machine combines

For `fleet_steps`, every step of the scenario is a move the state machine
may make, as often as it likes, in any order:

| the step | the move |
| --- | --- |
| an action that takes a file (push) | push a drawn feature file |
| any other action (rollback, ...) | run the action |
| a node fault (kill, pause, restart, disconnect) | the fault on drawn nodes of its target |
| `control_plane_unreachable` (blackhole, refuse) | on drawn nodes' links; without links: pause the control plane |
| `control_plane_unreachable` (pause, partition) | the whole control plane, as declared |
| a network fault on a link (latency, ...) | on drawn nodes' links; left out (and said so) when the fleet has none |
| a wait | wait; faults whose `heal:` names this step are healed first |

A move's invariants are those without `after` and those whose `after`
names the move's step; they are checked after every move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chaos.errors import UsageError
from chaos.faults.node_faults import NODE_FAULTS
from chaos.fleet.compose import FleetSpec
from chaos.scenario import Invariant, Scenario, Step
from chaos.scenario.model import Fuzz

FILE_BODIES = ("features", "file")
CUT_KIND = "control_plane_unreachable"
NETWORK_KINDS = ("latency", "bandwidth", "blackhole", "reset_peer", "slicer", "limit_data")


@dataclass(frozen=True)
class Move:
    """One step of a fleet_steps scenario, as a move of the state machine.

    `kind` is push | action | fault | cut | link | wait. A fault, cut or link
    move with `draw` hits drawn nodes of `service` (its target's service);
    `link` and `params` are what the fault is applied with (a cut without
    links becomes a pause of the control plane).
    """

    step: Step
    kind: str
    service: str | None = None
    draw: bool = False
    link: str | None = None
    params: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.step.id


@dataclass(frozen=True)
class FuzzPlan:
    """A scenario's fuzz block, resolved against its fleet file."""

    scenario: Scenario
    fuzz: Fuzz
    invariants: tuple[Invariant, ...]
    push_step: Step | None = None
    moves: tuple[Move, ...] = ()
    left_out: tuple[str, ...] = ()  # moves the state machine cannot make on this fleet, and why
    control_plane: str | None = None

    @property
    def strategy(self) -> str:
        return self.fuzz.strategy

    def file_arguments(self) -> dict[str, Any]:
        """Keyword arguments for `feature_file_specs`, from the bounds."""
        bounds = self.fuzz.bounds
        return {"limit": bounds.limit, "max_rows": bounds.max_rows, "max_bytes": bounds.max_bytes,
                "counts": bounds.counts, "vary": tuple(bounds.vary)}

    def invariants_after(self, move: Move) -> list[Invariant]:
        """The invariants checked after a move: those without `after`, and those after this move's step."""
        return [i for i in self.invariants if i.after is None or i.after == move.step.id]


def _where(obj: Any, key: str, scenario: Scenario) -> str:
    mark = (obj.marks.get(key) if obj is not None else None) or (obj.mark if obj is not None else None) or scenario.mark
    return str(mark)


def _push_actions(spec: FleetSpec) -> list[str]:
    return [name for name, action in spec.actions.items() if action.body in FILE_BODIES]


def _control_plane(spec: FleetSpec) -> str | None:
    """The service the fleet's actions go to: what a control-plane cut pauses."""
    services = [action.service for action in spec.actions.values() if action.body in FILE_BODIES]
    return services[0] if services else None


def has_links(spec: FleetSpec) -> bool:
    """Whether the fleet routes any service-to-service link through a fault proxy."""
    return bool(spec.links)


def longest_within(invariants: Sequence[Invariant]) -> float:
    """The longest deadline among the `eventually` invariants (0 without any): how long past `settle` to watch."""
    return max([i.within or 0.0 for i in invariants if i.operator == "eventually"], default=0.0)


def make_plan(scenario: Scenario, spec: FleetSpec) -> FuzzPlan:
    """Resolve the scenario's fuzz block; a block that cannot work on this fleet is a UsageError naming its line."""
    fuzz = scenario.fuzz
    if fuzz is None:
        raise UsageError(f"{scenario.mark or scenario.path}: expected a scenario with a fuzz block, found none "
                         "(run it with: chaos run)")
    names = set(fuzz.invariants)
    invariants = tuple(i for i in scenario.invariants if not names or i.name in names)
    if fuzz.strategy == "feature_files":
        return FuzzPlan(scenario, fuzz, invariants, push_step=_push_step(scenario, fuzz, spec))
    moves, left_out = _moves(scenario, spec)
    steps = {m.step.id for m in moves}
    for invariant in invariants:
        if invariant.after is not None and invariant.after not in steps:
            raise UsageError(f"{_where(invariant, 'after', scenario)}: invariants[{invariant.name}].after: expected a "
                             f"step the state machine can make ({', '.join(sorted(steps))}), found {invariant.after!r}"
                             f" ({'; '.join(left_out)})")
    return FuzzPlan(scenario, fuzz, invariants, moves=tuple(moves), left_out=tuple(left_out),
                    control_plane=_control_plane(spec))


def _push_step(scenario: Scenario, fuzz: Fuzz, spec: FleetSpec) -> Step:
    pushes = _push_actions(spec)
    if fuzz.step is not None:
        step = scenario.step(fuzz.step)
        if step.action not in pushes:
            raise UsageError(f"{_where(fuzz, 'step', scenario)}: fuzz.step: expected a step whose action takes a "
                             f"file ({', '.join(pushes) or 'the fleet file declares none'}), found step {step.id!r} "
                             f"({step.kind}{' ' + step.action if step.action else ''})")
        return step
    for step in scenario.steps:
        if step.action in pushes:
            return step
    raise UsageError(f"{_where(fuzz, 'strategy', scenario)}: fuzz: expected a step whose action takes a file "
                     f"({', '.join(pushes) or 'the fleet file declares none'}) for feature_files to push, found none")


def _moves(scenario: Scenario, spec: FleetSpec) -> tuple[list[Move], list[str]]:
    pushes = _push_actions(spec)
    moves: list[Move] = []
    left_out: list[str] = []
    services = set(spec.services)
    for step in scenario.steps:
        if step.action is not None:
            moves.append(Move(step, "push" if step.action in pushes else "action"))
        elif step.wait is not None:
            moves.append(Move(step, "wait"))
        elif step.fault is not None:
            fault = step.fault
            service = fault.target if fault.target in services else scenario.targets[fault.target].service
            params = dict(fault.params)
            if fault.kind in NODE_FAULTS:
                moves.append(Move(step, "fault", service, draw=True, params=params))
            elif fault.kind == CUT_KIND:
                control = fault.link or _control_plane(spec)
                if control is None:
                    left_out.append(f"{step.id}: no action of the fleet file names a control plane to cut off")
                    continue
                mode = params.get("mode", "blackhole")
                if mode in ("blackhole", "refuse") and not has_links(spec):
                    # The cut without links: the control plane's containers paused (nobody reaches it).
                    moves.append(Move(step, "cut", service, link=control, params={**params, "mode": "pause"}))
                else:
                    moves.append(Move(step, "cut", service, draw=mode in ("blackhole", "refuse"), link=control,
                                      params=params))
            elif has_links(spec):
                moves.append(Move(step, "link", service, draw=True, link=fault.link, params=params))
            else:
                left_out.append(f"{step.id}: {fault.kind} acts on links, and this fleet has none")
    if not any(m.kind != "wait" for m in moves):
        raise UsageError(f"{_where(scenario.fuzz, 'strategy', scenario)}: fuzz: expected fleet_steps to have "
                         f"moves (actions or faults among the steps), found none"
                         + (f" ({'; '.join(left_out)})" if left_out else ""))
    return moves, left_out


def checked_steps(plan: FuzzPlan) -> tuple[Step, ...]:
    """The steps the runner's own checks (`prepare`) should see: all but the moves left out or rewritten."""
    if plan.strategy == "feature_files":
        return plan.scenario.steps
    rewritten = {m.step.id for m in plan.moves if m.kind == "cut" and m.params != dict(m.step.fault.params)}
    kept = {m.step.id for m in plan.moves} - rewritten
    return tuple(s for s in plan.scenario.steps if s.id in kept)

