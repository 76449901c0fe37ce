"""`chaos fuzz` against panic edges: it finds the smallest file over the limit, saves it, and replays it first."""

from __future__ import annotations

import json
from pathlib import Path

from fuzz_support import journals, run, write_scenario

# The control plane starts with a file of 120 features, so the limit must stay above that.
PANIC = """\
title: panic edges with a limit of 150
seed: 3
expect: violation
fleet:
  file: {fleet}
  replicas: {edge: 3, generator: 0}
  environment:
    edge: {EDGE_MODE: panic, FEATURE_LIMIT: 150, FETCH_INTERVAL: 0.2}
steady_state:
  - {healthy: edge, at_least: 1.0}
steps:
  - id: push
    action: push
    with: {features: 10}
invariants:
  - name: edges-stay-up
    always: {healthy: edge, at_least: 1.0}
  - name: no-restarts
    never: {restarts: edge, above: 0}
fuzz:
  strategy: feature_files
  bounds: {limit: 150, vary: [duplicates, names, weights, fields, order, encoding, size]}
  max_examples: 60
  settle: 0.7
"""


def test_fuzz_finds_exactly_one_row_over_the_limit_and_the_next_run_replays_it_first(tmp_path: Path,
                                                                                      edgefleet_images,
                                                                                      leftovers) -> None:
    path = write_scenario(tmp_path, "panic.yaml", PANIC)
    database, first_runs = tmp_path / "db", tmp_path / "first"
    result = run("chaos.fuzz", str(path), "--seed", "3", "--database", str(database), "--journal-dir", str(first_runs))
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    [journal] = journals(first_runs)
    [finding] = journal["examples"]
    # Exactly one row over the limit, and nothing else unusual about the file.
    assert finding["description"] == "151 rows"
    minimal = Path(finding["files"][0])
    assert minimal.parent == first_runs
    rows = json.loads(minimal.read_bytes())["features"]
    assert len(rows) == 151 and len({r["name"] for r in rows}) == 151
    # Nothing smaller breaks: the same file with 150 rows held, and no example at or under the limit failed.
    assert finding["smaller"] == "the same file with 150 rows held"
    log = journal["fuzz"]["log"]
    assert all(e["held"] for e in log if e["rows"] <= 150)
    assert journal["fuzz"]["examples_run"] <= 60 and journal["outcome"] == "violated"
    # A finding names what it broke: at least one invariant, and only the scenario's.
    assert finding["violated"] and set(finding["violated"]) <= {"edges-stay-up", "no-restarts"}
    assert f"replay: chaos run {finding['replay_scenario']}" in result.stdout
    assert f"search again: chaos fuzz {path} --seed 3" in result.stderr
    assert Path(finding["replay_scenario"]).exists()
    assert "Traceback" not in result.stderr
    # Other fleets may be up on a shared daemon: this run's label must be gone.
    assert leftovers(journal["run_id"]) == []

    # Another seed and two examples: the example database, not the seed, brings the finding back, first
    # (the ci profile only bounds the shrinking, which has nothing left to do).
    again_runs = tmp_path / "again"
    again = run("chaos.fuzz", str(path), "--seed", "99", "--examples", "2", "--profile", "ci", "--database",
                str(database), "--journal-dir", str(again_runs))
    assert again.returncode == 1, again.stdout + again.stderr[-3000:]
    [journal] = journals(again_runs)
    first = journal["fuzz"]["log"][0]
    assert (first["example"], first["held"]) == ("151 rows", False)
    assert journal["examples"][0]["description"] == "151 rows"
    assert leftovers(journal["run_id"]) == []
