"""The pytest plugin without Docker: collection, one-line failures for bad files, a light import."""

from __future__ import annotations

import subprocess
import sys

pytest_plugins = ["pytester"]


def test_importing_the_plugin_imports_no_docker_or_hypothesis():
    code = ("import sys, chaos.pytest_plugin; "
            "print(sorted(m for m in ('docker', 'hypothesis', 'chaos.runner') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_malformed_scenario_fails_as_its_item_with_one_line(pytester):
    scenarios = pytester.mkdir("scenarios")
    (scenarios / "broken.yaml").write_text("title: x\nfleet: {file: nowhere.yaml}\nsteps: []\ninvariants: []\n")
    (scenarios / "notes.txt").write_text("not a scenario")
    result = pytester.runpytest("scenarios", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*scenarios/broken.yaml:*: fleet.file*", "*1 failed*"])
    assert "Traceback" not in result.stdout.str()


def test_yaml_outside_scenarios_folders_is_not_collected(pytester):
    (pytester.mkdir("fixtures") / "compose.yaml").write_text("services: {}\n")
    result = pytester.runpytest("fixtures", "-p", "no:cacheprovider")
    assert result.ret == 5  # nothing collected: fleet files and fixtures are left alone
