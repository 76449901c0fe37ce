"""Shipped scenarios end to end: `chaos run`, `pytest scenarios/ -n 2`, SIGINT.

(A broken variant, the quorum copy of rollback-under-duress, is the nightly job's run: test_report_nightly.py.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fleet_polling import wait_for

from conftest import ROOT

SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted(p.name for p in SCENARIOS.glob("*.yaml"))


# The shipped fuzz scenarios run 200 examples; the `ci` profile keeps them to a few here.
FUZZ_CI = {**os.environ, "CHAOS_FUZZ_PROFILE": "ci"}


def run_cli(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chaos", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=FUZZ_CI)


def test_chaos_run_gives_each_shipped_scenario_its_expected_verdict(tmp_path, edgefleet_images, leftovers):
    result = run_cli("run", "scenarios/", "--journal-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    for name in SHIPPED:
        row = next(line for line in result.stdout.splitlines() if line.startswith(f"scenarios/{name}"))
        assert " PASS " in row, row
    journals = [json.loads(p.read_text()) for p in tmp_path.glob("*.journal.json")]
    outcome = {Path(j["scenario"]["path"]).name: j["outcome"] for j in journals}
    assert outcome == {"degrade-silently.yaml": "violated", "guarded-oversize.yaml": "held",
                       "rollback-needs-quorum.yaml": "violated", "rollback-under-duress.yaml": "held",
                       "fuzz-guarded.yaml": "held", "fuzz-panic-limit.yaml": "violated"}
    quorum = next(j for j in journals if j["scenario"]["path"].endswith("rollback-needs-quorum.yaml"))
    assert [v["invariant"] for v in quorum["verdicts"] if not v["held"]][0] == "rollback-converges"
    assert leftovers() == []


def test_pytest_collects_shipped_scenarios_and_runs_them_under_xdist(tmp_path, edgefleet_images, leftovers):
    collected = subprocess.run([sys.executable, "-m", "pytest", "scenarios/", "--collect-only", "-q",
                                "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert collected.returncode == 0, collected.stdout[-3000:]
    assert {line.split("::")[0] for line in collected.stdout.splitlines() if "::" in line} == {
        f"scenarios/{name}" for name in SHIPPED}
    # Every shipped file already ran through `chaos run` above; under xdist three kinds suffice:
    # an expected violation, a hold and a fuzz item, each on a fleet of its own.
    chosen = ["scenarios/degrade-silently.yaml", "scenarios/guarded-oversize.yaml", "scenarios/fuzz-guarded.yaml"]
    result = subprocess.run([sys.executable, "-m", "pytest", *chosen, "-n", "2", "-p", "no:cacheprovider",
                             "--hypothesis-profile", "ci", "--chaos-journal-dir", str(tmp_path), "-q"],
                            cwd=ROOT, capture_output=True, text=True, timeout=900, env=FUZZ_CI)
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"{len(chosen)} passed" in result.stdout
    runs = {json.loads(p.read_text())["run_id"] for p in tmp_path.glob("*.journal.json")}
    assert len(runs) == len(chosen)
    assert leftovers() == []


def test_sigint_in_the_middle_of_a_step_still_heals_and_removes_the_fleet(tmp_path, edgefleet_images, leftovers):
    path = tmp_path / "pause-and-wait.yaml"
    path.write_text(f"""
title: Pause two nodes and wait
fleet:
  file: {ROOT}/compose/edgefleet/compose.yaml
  replicas: {{edge: 3}}
targets:
  two: {{service: edge, select: COUNT(2)}}
steady_state:
  - {{healthy: edge, at_least: 1.0}}
steps:
  - id: freeze
    fault: {{kind: pause, target: two}}
  - id: long-wait
    wait: {{for: 300}}
invariants:
  - name: some-serve
    always: {{healthy: edge, at_least: 0.3}}
""")
    proc = subprocess.Popen([sys.executable, "-m", "chaos", "run", str(path), "--journal-dir", str(tmp_path)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def events() -> list[str]:
            names = []
            for timeline in tmp_path.glob("*.timeline.jsonl"):
                names += [json.loads(line).get("event") for line in timeline.read_text().splitlines()
                          if '"kind":"event"' in line]
            return names

        wait_for("the pause fault applied and the long wait begun", events,
                 lambda names: "fault_applied" in names and names.count("step_started") >= 3, timeout=90)
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert "fault_healed" in events()
    assert leftovers() == []
