"""Helpers for the fuzz integration tests: scenario texts against the reference fleet, and running the commands."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FLEET = ROOT / "compose" / "edgefleet" / "compose.yaml"


def write_scenario(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text.replace("{fleet}", str(FLEET)), encoding="utf-8")
    return path


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`python -m <args>` from the project's folder, with the output captured."""
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def journals(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.journal.json"))]


class Item:
    """What the pytest plugin's scenario item hands `run_fuzz_item`: the scenario, the options, the path."""

    def __init__(self, scenario: Any, *, journal_dir: Path, profile: str | None = None, seed: int | None = None):
        self.scenario = scenario
        self.path = scenario.path
        self.config = argparse.Namespace(option=argparse.Namespace(
            chaos_seed=seed, chaos_keep_fleet=False, chaos_journal_dir=str(journal_dir), hypothesis_profile=profile))
        self.user_properties: list[tuple[str, Any]] = []
        self.result: Any = None
