"""The journal: one JSON file per run, from which every report is rendered.

Schema `chaos-fleet/journal@2` (times `t` are seconds since the timeline began):

    schema        "chaos-fleet/journal@2"
    written       UTC time the journal was written; `started` is that less the duration
    scenario      path, title, description, expect (hold | violation), line
    seed, run_id  the seed that replays the run, and the run's label
    outcome       held | violated | error | interrupted; `as_expected` whether it is what `expect` said
    explanation   the text a person reads when the outcome was not as expected (else null)
    error         why the run could not happen (else null); `stopped_by` the stop condition's verdict
    duration_s    wall time of the whole run, fleet up to teardown
    replay        the command that replays the run
    environment   harness, python, platform, docker, base_image {ref, id}, images {service: {ref, id}}
    fleet         nodes {service: [node]}, targets {name: [node]}
    steps         [{id, kind (action | fault | wait), what, started, finished, outcome}]
    faults        [{step, kind, target, nodes, applied, healed}]
    timeline      file (relative to the journal's folder), records, samples, traffic, events, end
    verdicts      one per invariant, as Verdict.to_dict()
    examples      the minimal failing examples found by fuzzing ([] for a scenario run): description,
                  steps, violated, replay, ... as the fuzz run gives them; a fuzz run also adds `fuzz`

The timeline itself stays in its JSON-lines file: a journal is small enough
to read by eye, and the report reads the file it names.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaos.errors import UsageError

if TYPE_CHECKING:
    import docker

    from chaos.runner.result import RunResult
    from chaos.scenario import Step

JOURNAL_SCHEMA = "chaos-fleet/journal@2"
JOURNAL_SUFFIX = ".journal.json"
STEP_KINDS = ("action", "fault", "wait")

__all__ = ["JOURNAL_SCHEMA", "Journal", "JournalError", "build_journal", "journal_files", "load_journal",
           "write_journal"]


class JournalError(UsageError):
    """A journal file that is not what the harness writes."""


# --- writing ------------------------------------------------------------------


def _describe(step: Step) -> tuple[str, str]:
    """The step's kind and what it does, in words."""
    if step.action is not None:
        args = ", ".join(f"{k}: {v}" for k, v in step.with_.items())
        return "action", f"{step.action} {{{args}}}" if args else step.action
    if step.fault is not None:
        params = ", ".join(f"{k}: {v}" for k, v in step.fault.params.items())
        what = f"{step.fault.kind} on {step.fault.target}" + (f" ({params})" if params else "")
        return "fault", what + ("" if step.heal in (None, "never") else f", healed at {step.heal}")
    if step.wait is not None and step.wait.until is not None:
        return "wait", f"until {step.wait.until.describe()} (at most {step.wait.timeout:g}s)"
    return "wait", f"for {step.wait.for_:g}s" if step.wait is not None and step.wait.for_ else "wait"


def _read_events(path: Path | None) -> tuple[list[dict[str, Any]], dict[str, int], float]:
    """The timeline's events, its record counts by kind and its last `t`, in one pass over the file."""
    events: list[dict[str, Any]] = []
    counts = {"sample": 0, "traffic": 0, "event": 0}
    end = 0.0
    if path is None or not path.exists():
        return events, counts, end
    last = ""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            # Samples and traffic are the bulk of a timeline: count them without parsing.
            if line.startswith('{"kind":"sample"'):
                counts["sample"] += 1
            elif line.startswith('{"kind":"traffic"'):
                counts["traffic"] += 1
            elif '"kind":"event"' in line:
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a last line cut short by a crash
                counts["event"] += 1
            else:
                continue
            last = line
    try:
        # `t` never decreases along the file, so the last record holds the end.
        end = float(json.loads(last)["t"]) if last else 0.0
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        pass  # cut short by a crash: the end stays unknown (0)
    return events, counts, end


def _steps(result: RunResult, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for step in result.scenario.steps:
        kind, what = _describe(step)
        rows[step.id] = {"id": step.id, "kind": kind, "what": what, "started": None, "finished": None,
                         "outcome": "not reached"}
    for event in events:
        row = rows.get(event.get("step") or "")
        if row is None:
            continue
        name = event.get("event")
        if name == "step_started" and row["started"] is None:
            row["started"], row["outcome"] = event["t"], "unfinished"
        elif name == "step_finished" and row["finished"] is None and row["started"] is not None:
            row["finished"] = event["t"]
            if row["outcome"] == "unfinished":
                row["outcome"] = "ok"
        elif name == "action":
            row["outcome"] = f"HTTP {event.get('status')}"
        elif name == "wait_timed_out":
            row["outcome"] = "timed out"
    for row in rows.values():
        if row["outcome"].startswith("HTTP") and row["finished"] is None:
            row["outcome"] += ", unfinished"
    return list(rows.values())


def _faults(result: RunResult, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    targets = {s.id: s.fault.target for s in result.scenario.steps if s.fault is not None}
    faults: list[dict[str, Any]] = []
    for event in events:
        if event.get("event") == "fault_applied":
            faults.append({"step": event.get("step"), "kind": event.get("fault"),
                           "target": targets.get(event.get("step"), ""), "nodes": list(event.get("nodes") or []),
                           "applied": event["t"], "healed": None})
        elif event.get("event") == "fault_healed":
            for fault in faults:
                if fault["step"] == event.get("step") and fault["healed"] is None:
                    fault["healed"] = event["t"]
                    break
    return faults


def build_journal(result: RunResult, *, env: dict[str, Any], journal_dir: Path) -> dict[str, Any]:
    """The journal of a finished run, as JSON-ready data (reads the run's timeline file once)."""
    scenario = result.scenario
    events, counts, end = _read_events(result.timeline)
    started = next((e for e in events if e.get("event") == "run_started"), {})
    now = time.time()
    timeline = None
    if result.timeline is not None:
        try:
            file = str(Path(result.timeline).resolve().relative_to(journal_dir.resolve()))
        except ValueError:
            file = str(Path(result.timeline).resolve())
        timeline = {"file": file, "records": sum(counts.values()), "samples": counts["sample"],
                    "traffic": counts["traffic"], "events": counts["event"], "end": round(end, 3)}
    data = {
        "schema": JOURNAL_SCHEMA,
        "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - result.duration)),
        "scenario": {"path": str(scenario.path), "title": scenario.title, "description": scenario.description.strip(),
                     "expect": scenario.expect, "line": scenario.mark.line if scenario.mark else 1},
        "seed": result.seed,
        "run_id": result.run_id,
        "outcome": result.outcome,
        "as_expected": result.as_expected,
        "explanation": None if result.as_expected else result.explain(),
        "error": result.error,
        "stopped_by": result.stopped_by.to_dict() if result.stopped_by else None,
        "kept_fleet": result.kept_fleet,
        "duration_s": round(result.duration, 2),
        "replay": result.replay_command(),
        "environment": env,
        "fleet": {"nodes": started.get("nodes") or {}, "targets": started.get("targets") or {}},
        "steps": _steps(result, events),
        "faults": _faults(result, events),
        "timeline": timeline,
        "verdicts": [v.to_dict() for v in result.verdicts],
        "examples": [],
    }
    extras = getattr(result, "journal_extras", None)
    if callable(extras):
        # A fuzz run adds its minimal failing example (`examples`) and how the search went (`fuzz`).
        data.update(extras())
    return data


def write_journal(result: RunResult, *, out_dir: Path, client: docker.DockerClient, images: dict[str, str]) -> Path:
    """Write the run's journal next to its timeline; returns its path."""
    # Imported here: reading journals (`chaos report`) needs no Docker client.
    from chaos.report.environment import environment

    out_dir = Path(out_dir)
    data = build_journal(result, env=environment(client, images), journal_dir=out_dir)
    path = out_dir / f"{result.scenario.path.stem}-{result.run_id}{JOURNAL_SUFFIX}"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


# --- reading ------------------------------------------------------------------


_REQUIRED = ("scenario", "seed", "run_id", "outcome", "as_expected", "replay", "environment", "steps", "faults",
             "verdicts", "examples")


@dataclass(frozen=True)
class Journal:
    """A journal read back: its data and where it lies (the timeline file is found relative to it)."""

    path: Path
    data: dict[str, Any]

    @property
    def title(self) -> str:
        return self.data["scenario"]["title"]

    @property
    def scenario_path(self) -> str:
        return self.data["scenario"]["path"]

    @property
    def violations(self) -> list[dict[str, Any]]:
        stopped = [self.data["stopped_by"]] if self.data.get("stopped_by") else []
        return stopped + [v for v in self.data["verdicts"] if not v["held"]]

    @property
    def first_violation(self) -> str:
        """The invariant of the first violation (the stop condition's, when one ended the run), or ""."""
        violations = self.violations
        return violations[0]["invariant"] if violations else ""

    @property
    def timeline_path(self) -> Path | None:
        """The timeline file the journal names, or None when it names none."""
        timeline = self.data.get("timeline")
        if not timeline or not timeline.get("file"):
            return None
        return self.path.parent / timeline["file"]


def load_journal(path: str | Path) -> Journal:
    """Read a journal; a file that is not a journal of this schema is a JournalError naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise JournalError(f"{path}: expected a readable journal file, found {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise JournalError(f"{path}:{exc.lineno}:{exc.colno}: expected a JSON journal, found {exc.msg}") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema != JOURNAL_SCHEMA:
        raise JournalError(f"{path}: expected a journal of schema {JOURNAL_SCHEMA}, found {schema!r} "
                           "(re-run the scenario, or render it with the harness version that wrote it)")
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise JournalError(f"{path}: expected journal fields {', '.join(_REQUIRED)}, found "
                           f"{', '.join(missing)} missing")
    return Journal(path, data)


def journal_files(paths: list[str | Path]) -> list[Path]:
    """Journal files as given, and folders expanded to the `*.journal.json` files inside them, sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(path.rglob(f"*{JOURNAL_SUFFIX}"))
        elif path.is_file():
            found.append(path)
        else:
            raise JournalError(f"{path}: expected a journal file or a folder of them, found nothing there")
    if not found:
        raise JournalError(f"{', '.join(map(str, paths))}: expected *{JOURNAL_SUFFIX} files, found none")
    return list(dict.fromkeys(found))
