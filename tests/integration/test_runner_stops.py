"""A stop condition aborts the steps, and the rollback step the run never reached still runs."""

from __future__ import annotations

from pathlib import Path

from chaos.observe.timeline import Timeline
from chaos.runner import run_scenario
from chaos.scenario import load_scenario

from conftest import ROOT


def test_stop_condition_aborts_and_the_missed_rollback_runs_in_cleanup(tmp_path: Path, edgefleet_images, leftovers):
    path = tmp_path / "stop.yaml"
    path.write_text(f"""
title: Blast radius guard
fleet:
  file: {ROOT}/compose/edgefleet/compose.yaml
  replicas: {{edge: 4}}
  environment:
    edge: {{EDGE_MODE: panic}}
steady_state:
  - {{healthy: edge, at_least: 1.0}}
steps:
  - id: push-oversized
    action: push
    with: {{features: 400}}
  - id: long-wait
    wait: {{for: 120}}
  - id: rollback
    action: rollback
stop_conditions:
  - name: blast-radius
    never: {{unhealthy: edge, above: 0.5}}
invariants:
  - name: recovers
    eventually: {{healthy: edge, at_least: 1.0}}
    within: 90
    after: rollback
""")
    result = run_scenario(load_scenario(path), out_dir=tmp_path)
    assert result.stopped_by is not None and result.stopped_by.invariant == "blast-radius"
    assert result.outcome == "violated" and not result.as_expected
    timeline = Timeline.load(result.timeline)
    assert "stop_condition" in [r.get("event") for r in timeline.events()]
    # The rollback step was never reached by the steps, but ran in the clean-up, and the fleet recovered.
    assert timeline.step_started("rollback") is not None
    assert timeline.step_started("long-wait") is not None and result.duration < 100
    assert {v.invariant: v.held for v in result.verdicts}["recovers"] is True
    assert leftovers(result.run_id) == []
