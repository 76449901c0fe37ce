"""Fuzz one scenario: fleet up once -> recorder -> examples, reset between -> finding -> replay files -> journal.

    result = run_fuzz(scenario, examples=None, seed=None, profile=None, database=None, out_dir="chaos-runs")

The finding is written next to the journal: the minimal failing feature
file(s) (`<scenario>-<run>.minimal.json`, or one file per push of a
sequence), and a scenario replaying it (`<scenario>-<run>.replay.yaml`),
whose path is the result's replay command. Every container carries the
run's label and comes down at the end, whatever happened.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import docker

from chaos.errors import ChaosError
from chaos.fleet.compose import FleetSpec, load_fleet
from chaos.fleet.docker_client import connect
from chaos.fleet.fleet import Fleet
from chaos.fleet.images import ensure_images
from chaos.fleet.interrupt import shielded
from chaos.fuzz.live_property import FileOutcome, PropertyRun
from chaos.fuzz.machine import MachineRun, Sequence
from chaos.fuzz.plan import FuzzPlan, checked_steps, longest_within, make_plan
from chaos.fuzz.profiles import FuzzConfig, fuzz_config
from chaos.fuzz.replay import Replay, ReplayStep, write_replay
from chaos.fuzz.result import Finding, FuzzResult
from chaos.fuzz.session import LiveSession
from chaos.invariants.verdict import Verdict
from chaos.progress import SILENT, Progress
from chaos.runner.journal import write_journal
from chaos.runner.run import prepare, release_fleet
from chaos.scenario import Scenario
from chaos.scenario.schema import SCHEMA_FILE

FLEET_DEADLINE = 90.0
SCHEMA = str(SCHEMA_FILE.resolve())


def prepare_fuzz(scenario: Scenario) -> tuple[FleetSpec, FuzzPlan]:
    """The fleet file with the scenario's changes, the plan, and the runner's own checks of the steps it keeps."""
    spec = load_fleet(scenario.fleet.file).with_overrides(
        replicas=dict(scenario.fleet.replicas), environment={k: dict(v) for k, v in scenario.fleet.environment.items()})
    plan = make_plan(scenario, spec)
    prepare(dataclasses.replace(scenario, steps=checked_steps(plan)))
    return spec, plan


def run_fuzz(scenario: Scenario, *, examples: int | None = None, seed: int | None = None, profile: str | None = None,
             database: str | Path | None = None, out_dir: str | Path = "chaos-runs", keep_fleet: bool = False,
             progress: Progress = SILENT, client: docker.DockerClient | None = None) -> FuzzResult:
    """Fuzz a scenario with a fuzz block against a fleet of its own; raises ChaosError when it cannot start."""
    spec, plan = prepare_fuzz(scenario)
    config = fuzz_config(scenario, examples=examples, seed=seed, profile=profile, database=database)
    client = client or connect()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    images = ensure_images(client, spec, progress=progress)
    fleet = Fleet(spec, client=client, images=images, progress=progress)
    result = FuzzResult(scenario, fleet.run_id, config.seed, strategy=plan.strategy, profile=config.profile,
                        examples_wanted=config.examples, database=config.database_dir, left_out=list(plan.left_out))
    result.timeline = out_dir / f"{scenario.path.stem}-{fleet.run_id}.timeline.jsonl"
    started = time.monotonic()
    progress.say(f"{scenario.path}: {scenario.title} (fuzz {plan.strategy}: {config.examples} examples, seed "
                 f"{config.seed}, profile {config.profile}, run {fleet.run_id})")
    for reason in plan.left_out:
        progress.say(f"  left out: {reason}")
    interrupted: BaseException | None = None
    session: LiveSession | None = None
    try:
        fleet.up(deadline=FLEET_DEADLINE)
        session = LiveSession(scenario, spec, fleet, timeline_path=result.timeline, invariants=plan.invariants,
                              progress=progress)
        session.start()
        _search(session, plan, config, result, out_dir=out_dir, progress=progress)
    except KeyboardInterrupt as exc:
        interrupted = exc
        result.interrupted = True
    except ChaosError as exc:
        if session is None:
            raise
        result.error = str(exc)
    finally:
        with shielded():
            if session is not None:
                session.stop()
                result.resets = dict(session.resets.by_kind)
            release_fleet(fleet, result, keep=keep_fleet and session is not None, progress=progress)
            result.duration = time.monotonic() - started
            # The journal takes the fuzz run's own fields from `FuzzResult.journal_extras`.
            result.journal = write_journal(result, out_dir=out_dir, client=client, images=images)
            progress.done()
    if interrupted is not None:
        raise interrupted
    return result


def _search(session: LiveSession, plan: FuzzPlan, config: FuzzConfig, result: FuzzResult, *, out_dir: Path,
            progress: Progress) -> None:
    stem = f"{plan.scenario.path.stem}-{session.fleet.run_id}"
    if plan.strategy == "feature_files":
        prop = PropertyRun(session, plan, config, progress=progress)
        result.examples = prop.examples
        found, flaky = prop.search()
        result.examples_tried = prop.tried
        if found is not None:
            smaller = prop.one_row_fewer(found) if flaky is None else None
            result.finding = _file_finding(found, plan, out_dir=out_dir, stem=stem, smaller=smaller, flaky=flaky,
                                           stopped=prop.budget.stopped, seed=config.seed)
        result.noise = [f"{o.description}: {', '.join(v.invariant for v in o.verdicts if not v.held)}"
                        for o in prop.noise]
    else:
        machine = MachineRun(session, plan, config, progress=progress)
        result.examples = machine.examples
        sequence, flaky = machine.search()
        result.examples_tried = machine.tried
        if sequence is not None:
            result.finding = _sequence_finding(sequence, plan, out_dir=out_dir, stem=stem, flaky=flaky,
                                               stopped=machine.budget.stopped, seed=config.seed)
    if result.finding is not None and result.finding.flaky:
        result.unconfirmed, result.finding = result.finding, None
        progress.warn(f"a failing example did not fail again when replayed, so it is not counted: "
                      f"{result.unconfirmed.description} (replay: chaos run {result.unconfirmed.replay_file})")
    if result.finding is not None:
        result.verdicts = list(result.finding.verdicts)
        progress.say(f"  minimal failing example: {result.finding.description}")
    else:
        count = result.examples_run
        result.verdicts = [Verdict(i.name, True, f"invariant {i.name} held in all {count} examples: {i.describe()}",
                                   f"{i.name}: held in all {count} examples", mark=i.mark) for i in plan.invariants]


def _title(plan: FuzzPlan, seed: int) -> tuple[str, str]:
    scenario = plan.scenario
    title = f"Replay of a fuzzing finding: {scenario.title}"
    description = (f"The minimal failing example that fuzzing {scenario.path} ({plan.strategy}, seed {seed}) found. "
                   f"chaos run exits 1 while it reproduces and 0 once the fleet keeps its invariants.")
    return title, description


def _violated(plan: FuzzPlan, verdicts: list[Verdict]) -> list:
    names = {v.invariant for v in verdicts if not v.held}
    return [i for i in plan.invariants if i.name in names] or list(plan.invariants)


def _file_finding(found: FileOutcome, plan: FuzzPlan, *, out_dir: Path, stem: str, smaller: str | None,
                  flaky: str | None, stopped: bool, seed: int) -> Finding:
    file = out_dir / f"{stem}.minimal.json"
    file.write_bytes(found.body)
    steps = [ReplayStep(step, step.id, file=file.name if step is plan.push_step else None)
             for step in plan.scenario.steps]
    steps[-1].wait = plan.fuzz.settle + longest_within(plan.invariants)
    title, description = _title(plan, seed)
    replay = Replay(plan.scenario, steps, _violated(plan, found.verdicts), title, description, seed)
    replay_file = out_dir / f"{stem}.replay.yaml"
    write_replay(replay, replay_file, schema=SCHEMA)
    lines = [f"{plan.push_step.id}: {plan.push_step.action} a file of {found.description} "
             f"({len(found.body)} bytes, {file.name})"] if plan.push_step else []
    return Finding(found.description, found.verdicts, lines, replay_file, [file], smaller, flaky, stopped)


def _sequence_finding(sequence: Sequence, plan: FuzzPlan, *, out_dir: Path, stem: str, flaky: str | None,
                      stopped: bool, seed: int) -> Finding:
    steps: list[ReplayStep] = []
    files: list[Path] = []
    for record in sequence.moves:
        if record.move.kind in ("fault", "cut", "link") and not record.nodes:
            continue  # the move hit nothing (every node was already under a fault): nothing to replay
        item = ReplayStep(record.move.step, record.id, wait=round(record.watched + 0.05, 2), link=record.move.link,
                          params=record.move.params)
        if record.body is not None:
            file = out_dir / f"{stem}-{record.id}.json"
            file.write_bytes(record.body)
            files.append(file)
            item.file = file.name
        if record.nodes and record.move.draw:
            item.nodes = list(record.nodes)
            item.service = record.move.service
        steps.append(item)
    for index, item in enumerate(steps):
        if item.step.fault is not None and item.step.heal not in (None, "end", "never"):
            later = [s.id for s in steps[index + 1:] if s.step.id == item.step.heal]
            item.heal = later[0] if later else "end"
    title, description = _title(plan, seed)
    replay = Replay(plan.scenario, steps, _violated(plan, sequence.verdicts), title, description, seed)
    replay_file = out_dir / f"{stem}.replay.yaml"
    text = write_replay(replay, replay_file, schema=SCHEMA)
    lines = [m.describe() for m in sequence.moves]
    lines += ["as a scenario file (" + str(replay_file) + "):"] + ["  " + line for line in text.splitlines()]
    return Finding(sequence.description, sequence.verdicts, lines, replay_file, files, None, flaky, stopped)

