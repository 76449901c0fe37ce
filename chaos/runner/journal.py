"""The journal: one JSON file per run, from which reports are rendered."""

from __future__ import annotations

import json
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import docker

JOURNAL_SCHEMA = "chaos-fleet/journal@1"


def _harness_version() -> str:
    try:
        return metadata.version("chaos-fleet")
    except metadata.PackageNotFoundError:
        return "unknown"


def environment(client: docker.DockerClient, images: dict[str, str]) -> dict[str, Any]:
    try:
        docker_version = client.version().get("Version")
    except Exception:  # noqa: BLE001 - the journal must still be written when Docker went away
        docker_version = None
    return {"harness": _harness_version(), "python": platform.python_version(), "docker": docker_version,
            "images": images}


def write_journal(result, *, out_dir: Path, client: docker.DockerClient, images: dict[str, str]) -> Path:
    """Write the run's journal next to its timeline; returns its path."""
    scenario = result.scenario
    steps = []
    if result.timeline and result.timeline.exists():
        starts: dict[str, float] = {}
        with result.timeline.open(encoding="utf-8") as lines:
            for line in lines:
                if '"kind":"event"' not in line:
                    continue
                record = json.loads(line)
                step = record.get("step")
                if record.get("event") == "step_started" and step and not step.startswith("@"):
                    starts[step] = record["t"]
                elif record.get("event") == "step_finished" and step in starts:
                    steps.append({"id": step, "started": starts[step], "finished": record["t"]})
    journal = {
        "schema": JOURNAL_SCHEMA,
        "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "scenario": {"path": str(scenario.path), "title": scenario.title, "expect": scenario.expect,
                     "description": scenario.description},
        "seed": result.seed,
        "run_id": result.run_id,
        "environment": environment(client, images),
        "timeline": str(result.timeline) if result.timeline else None,
        "outcome": result.outcome,
        "as_expected": result.as_expected,
        "error": result.error,
        "stopped_by": result.stopped_by.to_dict() if result.stopped_by else None,
        "steps": steps,
        "verdicts": [v.to_dict() for v in result.verdicts],
        "duration_s": round(result.duration, 2),
        "replay": result.replay_command(),
    }
    path = out_dir / f"{scenario.path.stem}-{result.run_id}.journal.json"
    path.write_text(json.dumps(journal, indent=2, default=str) + "\n", encoding="utf-8")
    return path
