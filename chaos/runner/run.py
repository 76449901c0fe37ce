"""Run one scenario: fleet up -> wait healthy -> steady state -> steps -> verdicts
-> heals and rollbacks -> steady state after -> teardown -> journal.

Every wait is bounded. Whatever ends the steps early (a stop condition, a
step that asks to stop on violation, Ctrl-C or SIGTERM), heals and
rollbacks still run unless the scenario says `cleanup: never`, and the fleet
still comes down unless `keep_fleet` asks to keep a fleet that failed.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import docker

from chaos.errors import ChaosError, UsageError
from chaos.faults.factory import Fault, make_fault
from chaos.faults.link_faults import LINK_FAULTS
from chaos.faults.service_cut import ServiceCut
from chaos.fleet.compose import FleetSpec, load_fleet
from chaos.fleet.docker_client import connect
from chaos.fleet.fleet import Fleet
from chaos.fleet.images import ensure_images
from chaos.fleet.interrupt import shielded
from chaos.invariants import LiveChecker, evaluate_all
from chaos.invariants.verdict import Verdict
from chaos.observe.recorder import Recorder, TrafficPlan
from chaos.observe.timeline import Timeline, majority_versions
from chaos.progress import SILENT, Progress
from chaos.runner.actions import action_body
from chaos.runner.journal import write_journal
from chaos.runner.result import RunResult
from chaos.scenario import Condition, Invariant, Scenario, Step, select_targets

STEADY_DEADLINE = 60.0
FLEET_DEADLINE = 90.0
TICK = 0.1
ROLLBACK_ACTION = "rollback"


class _Stopped(Exception):
    """A stop condition (or a step with on_violation: stop) ended the steps."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.summary)
        self.verdict = verdict


def _where(step: Step, key: str) -> str:
    mark = step.marks.get(key, step.mark)
    return f"{mark}: steps.{step.id}.{key}"


def prepare(scenario: Scenario) -> FleetSpec:
    """The scenario's fleet, with overrides, checked against every step; no Docker needed."""
    spec = load_fleet(scenario.fleet.file).with_overrides(
        replicas=dict(scenario.fleet.replicas), environment={k: dict(v) for k, v in scenario.fleet.environment.items()})
    for step in scenario.steps:
        if step.action is not None and step.action not in spec.actions:
            raise UsageError(f"{_where(step, 'action')}: expected an action of the fleet file "
                             f"({', '.join(spec.actions) or 'none declared'}), found {step.action!r}")
        if step.fault is not None:
            _check_fault(step, spec)
    traffic = scenario.observe.traffic
    if traffic is not None and traffic.service not in spec.traffic:
        mark = scenario.observe.marks.get("traffic", scenario.observe.mark)
        raise UsageError(f"{mark}: observe.traffic.service: expected a service with an x-chaos traffic entry "
                         f"({', '.join(spec.traffic) or 'none'}), found {traffic.service!r}")
    return spec


def _check_fault(step: Step, spec: FleetSpec) -> None:
    fault = step.fault
    assert fault is not None
    where = _where(step, "fault")
    try:
        made = make_fault(fault.kind, nodes=[], link=fault.link, params=dict(fault.params))
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}") from None
    targets = sorted({link.target for link in spec.links})
    if fault.kind in LINK_FAULTS:
        if not spec.links:
            raise UsageError(f"{where}: fault {fault.kind!r} acts on links, and the fleet file declares none "
                             "(x-chaos.links)")
        if fault.link is not None and fault.link not in targets:
            raise UsageError(f"{where}: expected link among {', '.join(targets)}, found {fault.link!r}")
    if isinstance(made, ServiceCut):
        if fault.link not in spec.services:
            raise UsageError(f"{where}: expected link: a service to cut off ({', '.join(spec.services)}), "
                             f"found {fault.link!r}")
        if made.mode in ("blackhole", "refuse") and fault.link not in targets:
            raise UsageError(f"{where}: modes blackhole and refuse cut links, and no link leads to {fault.link!r} "
                             f"(links: {', '.join(targets) or 'none'})")


class _Run:
    def __init__(self, scenario: Scenario, spec: FleetSpec, *, progress: Progress) -> None:
        self.scenario, self.spec, self.progress = scenario, spec, progress
        self.fleet: Fleet | None = None
        self.timeline: Timeline | None = None
        self.recorder: Recorder | None = None
        self.faults: list[tuple[Step, Fault]] = []
        self.ran: list[str] = []
        self.latest: dict[str, dict] = {}
        self._read = 0
        self.step_label = "starting"
        self.started = time.monotonic()

    # -- observation -------------------------------------------------------

    def _follow(self) -> None:
        assert self.timeline is not None
        records = self.timeline.since(self._read)
        self._read += len(records)
        for record in records:
            if record["kind"] == "sample":
                self.latest[record["node"]] = record

    def _health_line(self) -> str:
        parts = []
        for service in self.spec.services:
            nodes = [n for n in self.latest.values() if n["service"] == service]
            if len(nodes) > 1 or service in self.spec.traffic:
                parts.append(f"{service} {sum(n['healthy'] for n in nodes)}/{len(nodes)} healthy")
        return ", ".join(parts)

    def tick(self, checkers: list[LiveChecker], *, stop_on_violation: bool = False) -> None:
        """One beat of the run: follow the timeline, check stop conditions, show progress."""
        self._follow()
        stop_checker, invariant_checker = checkers
        for verdict in stop_checker.update():
            if not verdict.held:
                raise _Stopped(verdict)
        for verdict in invariant_checker.update():
            if not verdict.held:
                self.progress.say(f"  violated: {verdict.summary}")
                if stop_on_violation:
                    raise _Stopped(verdict)
        self.progress.status(f"{self.scenario.title}: {self.step_label} "
                             f"({time.monotonic() - self.started:.0f}s) | {self._health_line()}", every=5)

    def sleep(self, seconds: float, checkers: list[LiveChecker], *, stop_on_violation: bool = False) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(min(TICK, max(0.0, deadline - time.monotonic())))
            self.tick(checkers, stop_on_violation=stop_on_violation)

    def await_condition(self, name: str, conditions: list[Condition], deadline: float,
                        checkers: list[LiveChecker]) -> list[Verdict]:
        """Wait until each condition has held (bounded); returns their verdicts."""
        assert self.timeline is not None
        marker = f"@{name}"
        waits = [Invariant(f"{name}: {c.describe()}", "eventually", c, within=deadline, after=marker, mark=c.mark)
                 for c in conditions]
        checker = LiveChecker(waits, self.timeline)
        self.timeline.event("step_started", step=marker)
        verdicts: list[Verdict] = []
        while len(verdicts) < len(waits):
            time.sleep(TICK)
            self.tick(checkers)
            verdicts += checker.update()
        self.timeline.event("step_finished", step=marker)
        return verdicts

    def baseline(self) -> dict[str, int]:
        self._follow()
        return majority_versions(self.latest.values())

    # -- steps -------------------------------------------------------------

    def run_step(self, step: Step, targets: dict[str, list[str]], checkers: list[LiveChecker]) -> None:
        assert self.fleet is not None and self.timeline is not None
        for earlier, fault in self.faults:
            if earlier.heal == step.id:
                self.heal(earlier, fault)
        stop = step.on_violation == "stop"
        self.timeline.event("step_started", step=step.id)
        self.ran.append(step.id)
        if step.action is not None:
            body = action_body(self.spec.actions[step.action], dict(step.with_),
                               base=self.scenario.path.parent, where=_where(step, "with"))
            status, payload = self.fleet.action(step.action, body=body)
            self.timeline.event("action", step=step.id, action=step.action, status=status,
                                response=payload if not isinstance(payload, str) else payload[:500])
            if status >= 400:
                self.progress.warn(f"step {step.id}: action {step.action} answered HTTP {status}: {payload}")
        elif step.fault is not None:
            fault = step.fault
            nodes = targets.get(fault.target) or [n.name for n in self.fleet.service_nodes(fault.target)]
            applied = make_fault(fault.kind, nodes=nodes, link=fault.link, params=dict(fault.params))
            applied.apply(self.fleet)
            self.timeline.event("fault_applied", step=step.id, fault=fault.kind, nodes=nodes, link=fault.link,
                                params=dict(fault.params))
            if step.heal != "never":
                self.faults.append((step, applied))
        elif step.wait is not None and step.wait.until is not None:
            verdict = self.await_condition(f"wait-{step.id}", [step.wait.until], step.wait.timeout or 0, checkers)[0]
            if not verdict.held:
                self.timeline.event("wait_timed_out", step=step.id)
                self.progress.warn(f"step {step.id}: waited {step.wait.timeout:g}s, {verdict.summary}")
                if stop:
                    raise _Stopped(verdict)
        elif step.wait is not None:
            self.sleep(step.wait.for_ or 0, checkers, stop_on_violation=stop)
        self.timeline.event("step_finished", step=step.id)
        self.tick(checkers, stop_on_violation=stop)

    def heal(self, step: Step, fault: Fault) -> None:
        assert self.fleet is not None and self.timeline is not None
        if fault.healed:
            return
        fault.heal(self.fleet)
        self.timeline.event("fault_healed", step=step.id, fault=fault.kind, nodes=fault.nodes)

    def cleanup(self, targets: dict[str, list[str]], checkers: list[LiveChecker]) -> None:
        """Heals in reverse order, then a rollback step that never got to run."""
        for step, fault in reversed(self.faults):
            self.heal(step, fault)
        missed = [s for s in self.scenario.steps if s.action == ROLLBACK_ACTION and s.id not in self.ran]
        if missed:
            self.progress.say(f"clean-up: running the rollback step {missed[0].id} that the run did not reach")
            self.run_step(missed[0], targets, checkers)


def release_fleet(fleet: Fleet, result: RunResult, *, keep: bool, progress: Progress) -> None:
    """Tear the fleet down, or, when asked to keep it and the run went wrong, leave it up and say how to reach it."""
    if keep and not result.as_expected and not result.interrupted:
        fleet.detach()
        result.kept_fleet = True
        progress.say(f"fleet kept: chaos fleet status --run {fleet.run_id}   "
                     f"remove: chaos fleet down --run {fleet.run_id}")
    else:
        fleet.down()


def run_scenario(scenario: Scenario, *, seed: int | None = None, keep_fleet: bool = False,
                 out_dir: Path | str = "chaos-runs", progress: Progress = SILENT,
                 client: docker.DockerClient | None = None) -> RunResult:
    """Run one scenario against a fleet of its own; raises ChaosError when it cannot run."""
    if seed is not None:
        scenario = dataclasses.replace(scenario, seed=seed)
    spec = prepare(scenario)
    client = client or connect()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    images = ensure_images(client, spec, progress=progress)
    run = _Run(scenario, spec, progress=progress)
    fleet = run.fleet = Fleet(spec, client=client, images=images, progress=progress)
    result = RunResult(scenario, fleet.run_id, scenario.seed)
    result.timeline = out_dir / f"{scenario.path.stem}-{fleet.run_id}.timeline.jsonl"
    interrupted: BaseException | None = None
    progress.say(f"{scenario.path}: {scenario.title} (seed {scenario.seed}, run {fleet.run_id})")
    try:
        fleet.up(deadline=FLEET_DEADLINE)
        _steps_and_verdicts(run, result)
    except KeyboardInterrupt as exc:
        interrupted = exc
        result.interrupted = True
    finally:
        with shielded():
            if run.recorder is not None:
                run.recorder.stop()
            if run.timeline is not None:
                run.timeline.close()
            release_fleet(fleet, result, keep=keep_fleet and run.timeline is not None, progress=progress)
            result.duration = time.monotonic() - run.started
            result.journal = write_journal(result, out_dir=out_dir, client=client, images=images)
            progress.done()
    if interrupted is not None:
        raise interrupted
    return result


def _steps_and_verdicts(run: _Run, result: RunResult) -> None:
    scenario, fleet, progress = run.scenario, run.fleet, run.progress
    assert fleet is not None
    nodes = {service: [n.name for n in fleet.service_nodes(service)] for service in run.spec.services}
    targets = select_targets(scenario, nodes)
    run.timeline = timeline = Timeline(result.timeline, flush_delay=0.5)
    traffic = scenario.observe.traffic
    run.recorder = Recorder(fleet, timeline, interval=scenario.observe.interval,
                            traffic=TrafficPlan(traffic.service, traffic.rate) if traffic else None)
    timeline.event("run_started", nodes=nodes, targets=targets, seed=scenario.seed, run_id=fleet.run_id,
                   scenario=str(scenario.path))
    run.recorder.start()
    checkers = [LiveChecker(list(scenario.stop_conditions), timeline), LiveChecker(list(scenario.invariants), timeline)]

    run.step_label = "steady state (before)"
    before = run.await_condition("steady-before", list(scenario.steady_state), STEADY_DEADLINE, checkers)
    failed = [v for v in before if not v.held]
    if failed:
        result.error = f"the steady state did not hold before the steps: {failed[0].summary}"
        timeline.event("run_finished", error=result.error)
        return
    timeline.event("steady_state", phase="before", baseline=run.baseline())

    try:
        try:
            for index, step in enumerate(scenario.steps, 1):
                run.step_label = f"step {index}/{len(scenario.steps)} {step.id}"
                progress.say(f"  step {index}/{len(scenario.steps)}: {step.id}")
                run.run_step(step, targets, checkers)
        except _Stopped as stopped:
            result.stopped_by = stopped.verdict
            timeline.event("stop_condition", invariant=stopped.verdict.invariant, summary=stopped.verdict.summary)
            progress.say(f"  stopped: {stopped.verdict.summary}")
    except KeyboardInterrupt:
        if scenario.cleanup != "never":
            progress.say("  interrupted: running heals and rollbacks before teardown")
            with shielded():
                run.step_label = "clean-up after interrupt"
                _cleanup(run, targets, checkers)
        raise

    if scenario.cleanup != "never":
        run.step_label = "clean-up"
        _cleanup(run, targets, checkers)
        run.step_label = "steady state (after)"
        after = run.await_condition("steady-after", list(scenario.steady_state), STEADY_DEADLINE, checkers)
        timeline.event("steady_state", phase="after", held=all(v.held for v in after))
        result.verdicts += [dataclasses.replace(v, invariant=f"steady state after: {v.invariant.split(': ', 1)[-1]}")
                            for v in after if not v.held]
    timeline.event("run_finished")
    run.recorder.stop()
    result.verdicts = evaluate_all(list(scenario.invariants), timeline) + result.verdicts
    for verdict in result.verdicts:
        progress.say(f"  {'held    ' if verdict.held else 'VIOLATED'} {verdict.invariant}")


def _cleanup(run: _Run, targets: dict[str, list[str]], checkers: list[LiveChecker]) -> None:
    try:
        run.cleanup(targets, checkers)
    except _Stopped:
        # A stop condition during clean-up changes nothing: clean-up goes on regardless.
        run.cleanup(targets, [LiveChecker([], run.timeline), LiveChecker([], run.timeline)])
    except ChaosError as exc:
        run.progress.warn(f"clean-up: {exc}")
