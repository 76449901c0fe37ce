"""The pytest plugin against a real fleet: a violation reported as itself, and the Python fixtures."""

from __future__ import annotations

import pytest

from conftest import ROOT

pytest_plugins = ["pytester"]


def test_a_violated_scenario_reports_the_explanation_at_its_file_and_line(pytester, edgefleet_images):
    scenarios = pytester.mkdir("scenarios")
    (scenarios / "restarts.yaml").write_text(f"""title: Panic nodes never restart
fleet:
  file: {ROOT}/compose/edgefleet/compose.yaml
  replicas: {{edge: 2}}
  environment:
    edge: {{EDGE_MODE: panic}}
steps:
  - id: push
    action: push
    with: {{features: 300}}
  - id: loop
    wait: {{for: 4}}
  - id: rollback
    action: rollback
invariants:
  - name: no-restarts
    never: {{restarts: edge, above: 0}}
""")
    result = pytester.runpytest_subprocess("scenarios", "-p", "no:cacheprovider", "--chaos-seed", "5",
                                           "--chaos-journal-dir", str(pytester.path / "runs"))
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert f"{scenarios}/restarts.yaml:16:5: invariant 'no-restarts' violated" in out
    assert "restarts of edge" in out and "replay: chaos run" in out and "--seed 5" in out
    assert "Traceback" not in out and "def runtest" not in out


@pytest.mark.fleet(str(ROOT / "compose" / "edgefleet"), replicas={"edge": 1})
def test_the_fleet_fixture_gives_a_running_fleet(fleet):
    assert all(s.health.healthy for s in fleet.status())


def test_run_scenario_fixture_runs_a_shipped_scenario(run_scenario, edgefleet_images, tmp_path):
    result = run_scenario(ROOT / "scenarios" / "guarded-oversize.yaml", seed=3)
    assert result.as_expected and result.seed == 3
