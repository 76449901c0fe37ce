"""Errors a person meets at the command line: one line, the right exit code, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def chaos(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "chaos", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("args", [["fleet", "status"], ["fleet", "up", "compose/edgefleet"], ["clean"],
                                  ["images", "build"]])
def test_docker_daemon_down_is_one_line_and_exit_2(tmp_path, args):
    result = chaos(*args, env={"DOCKER_HOST": f"unix://{tmp_path}/no-daemon.sock"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("chaos: error: cannot reach the Docker daemon at unix://")


def test_bad_scale_and_bad_fleet_file_are_usage_errors(tmp_path):
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  web:\n    image: x\n    volumes: ['/var/run/docker.sock:/s']\n")
    result = chaos("fleet", "up", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"chaos: error: {bad}:4:5: services.web: key 'volumes' is not supported "
                                     "by chaos-fleet (supported: build, command, depends_on, deploy, environment, "
                                     "image, mem_limit, ports, restart)")
    result = chaos("fleet", "up", "compose/edgefleet", "--scale", "edge=many")
    assert result.returncode == 2 and "expected a whole number" in result.stderr


MALFORMED = sorted((ROOT / "tests" / "unit" / "scenario" / "malformed").glob("*.yaml"))


@pytest.mark.parametrize("path", MALFORMED, ids=[p.stem for p in MALFORMED])
def test_each_malformed_scenario_is_one_line_with_file_line_and_exit_2(path, capsys):
    from chaos.cli import main

    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    expected_place = path.read_text().splitlines()[0].removeprefix("# error: ").split(":")[:2]
    assert err[0].startswith(f"chaos: error: {path}:{expected_place[0]}:{expected_place[1]}:"), err[0]


def test_a_missing_scenario_path_is_one_line(tmp_path, capsys):
    from chaos.cli import main

    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.yaml" in err[0]
