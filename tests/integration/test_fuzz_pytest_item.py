"""Fuzz scenarios as the pytest plugin runs them: guarded edges hold (ci profile), degraded ones answer wrongly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fuzz_support import ROOT, Item, write_scenario

from chaos.fuzz.pytest_item import run_fuzz_item
from chaos.pytest_plugin import ScenarioFailed
from chaos.scenario import load_scenario

# Degraded edges keep serving with a score of 0, say so with X-Edge-Result: wrong, and report "degraded".
DEGRADE = """\
title: degraded edges answer wrongly, silently
seed: 4
expect: hold
fleet:
  file: {fleet}
  replicas: {edge: 3, generator: 0}
  environment:
    edge: {EDGE_MODE: degrade, FEATURE_LIMIT: 200, FETCH_INTERVAL: 0.2}
observe:
  traffic: {service: edge, rate: 8}
steady_state:
  - {healthy: edge, at_least: 1.0}
steps:
  - id: push
    action: push
    with: {features: 10}
invariants:
  - name: no-failed-requests
    always: {error_rate: edge, equals: 0, window: 1}
  - name: no-wrong-results
    never: {wrong_results: edge, above: 0, window: 1}
  - name: never-degraded
    never: {healthy: edge, where: {state: degraded}, above: 0}
fuzz:
  strategy: feature_files
  bounds: {limit: 200, vary: []}
  max_examples: 40
  settle: 0.7
"""


def test_guarded_edges_hold_for_every_example_of_the_ci_profile(tmp_path: Path, edgefleet_images, leftovers) -> None:
    item = Item(load_scenario(ROOT / "scenarios" / "fuzz-guarded.yaml"), journal_dir=tmp_path, profile="ci")
    run_fuzz_item(item)
    result = item.result
    assert result.outcome == "held" and result.as_expected and result.finding is None
    assert result.profile == "ci" and 5 <= result.examples_run <= 10
    assert [v.invariant for v in result.verdicts] == ["keeps-serving", "no-restarts", "never-over-the-limit"]
    assert all(v.held and "held in all" in v.summary for v in result.verdicts)
    properties = dict(item.user_properties)
    assert properties["replay"].startswith("chaos fuzz ") and properties["journal"] == str(result.journal)
    assert leftovers(result.run_id) == []


def test_the_fuzzer_finds_the_silent_wrong_results_of_degraded_edges(tmp_path: Path, edgefleet_images, leftovers,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAOS_FUZZ_DATABASE", str(tmp_path / "db"))  # not the working folder's
    path = write_scenario(tmp_path, "degrade.yaml", DEGRADE)
    item = Item(load_scenario(path), journal_dir=tmp_path / "runs")
    with pytest.raises(ScenarioFailed) as failed:
        run_fuzz_item(item)
    result = item.result
    assert result.outcome == "violated" and result.finding is not None
    # Found past the limit; the ci profile bounds shrinking, so it need not reach exactly 201 here
    # (the panic-limit test checks the exact shrink).
    rows = re.fullmatch(r"(\d+) rows", result.finding.description)
    assert rows and int(rows[1]) > 200, result.finding.description
    violated = {v.invariant for v in result.verdicts if not v.held}
    # Wrong answers, never failed ones: the error-rate alarm stays quiet while every score is 0.
    assert violated & {"no-wrong-results", "never-degraded"} and "no-failed-requests" not in violated
    text = str(failed.value)
    assert f"{path}:" in text and "fuzzing found a failing example" in text and result.finding.description in text
    assert f"replay: chaos run {result.finding.replay_file}" in text
    timeline = result.timeline.read_text()
    assert '"wrong":true' in timeline and '"state":"degraded"' in timeline
    assert leftovers(result.run_id) == []
