"""The pytest side: --chaos-report and --chaos-summary, written once, by the controller, from every item's journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_runs import make_run

pytest_plugins = ["pytester"]

CONFTEST = """
import pytest
from chaos.report.plugin import add_options, register

def pytest_addoption(parser):
    try:
        add_options(parser.getgroup("chaos"))
    except ValueError:
        pass  # the chaos plugin itself already offers them

def pytest_configure(config):
    register(config)

class Broken(pytest.Item):
    def runtest(self):
        raise RuntimeError("bad.yaml:3:1: expected a title, found nothing")
    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)
    def reportinfo(self):
        return self.path, 0, "scenario"

class BrokenFile(pytest.File):
    def collect(self):
        yield Broken.from_parent(self, name="bad")

def pytest_collect_file(file_path, parent):
    if file_path.name == "bad.yaml":
        return BrokenFile.from_parent(parent, path=file_path)
"""

TESTS = """
import pytest

@pytest.mark.parametrize("journal", {journals!r})
def test_scenario(request, journal):
    request.node.user_properties.append(("journal", journal))

def test_plain():
    pass
"""


@pytest.fixture
def journals(tmp_path: Path) -> list[str]:
    runs = tmp_path / "runs"
    runs.mkdir()
    return [str(make_run(runs, name="recovers").journal),
            str(make_run(runs, name="never-recovers", recovers=False).journal)]


def _setup(pytester: pytest.Pytester, journals: list[str]) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_runs=TESTS.format(journals=journals))
    (pytester.path / "bad.yaml").write_text("title:\n")


def test_the_report_and_summary_hold_every_scenario(pytester: pytest.Pytester, journals: list[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    step = pytester.path / "step.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    _setup(pytester, journals)
    result = pytester.runpytest("-p", "no:cacheprovider", "--chaos-report", "out/report.html",
                                "--chaos-summary", "out/summary.md")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["chaos report: out/report.html", "chaos summary: out/summary.md",
                                 f"chaos summary: {step}"])
    page = (pytester.path / "out" / "report.html").read_text()
    assert "3 scenarios: 1 passed, 1 failed, 1 could not run" in page
    assert "bad.yaml:3:1: expected a title, found nothing" in page
    assert step.read_text() == (pytester.path / "out" / "summary.md").read_text()


def test_a_session_without_scenarios_writes_nothing(pytester: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "step.md"))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    pytester.runpytest("-p", "no:cacheprovider", "--chaos-report", "report.html").assert_outcomes(passed=1)
    assert not (pytester.path / "report.html").exists() and not (pytester.path / "step.md").exists()


def test_under_xdist_the_controller_writes_one_report_with_the_workers_runs(pytester: pytest.Pytester,
                                                                           journals: list[str], monkeypatch) -> None:
    pytest.importorskip("xdist")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    _setup(pytester, journals)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--chaos-summary", "summary.md",
                                           "--chaos-report", "report.html")
    result.assert_outcomes(passed=3, failed=1)
    summary = (pytester.path / "summary.md").read_text()
    assert summary.count("## chaos-fleet") == 1
    assert "recovers.yaml" in summary and "never-recovers.yaml" in summary and "bad.yaml" in summary


def test_run_properties_without_a_journal_still_replay(tmp_path: Path) -> None:
    from chaos.report.plugin import run_properties

    result = make_run(tmp_path)
    assert dict(run_properties(result))["image.edge"] == "chaos-fleet/edgefleet-edgefleet:0123456789ab"
    result.journal = None
    assert dict(run_properties(result)) == {"seed": "7", "replay": result.replay_command()}
    properties = run_properties(result)
    # Plain data, as xdist carries it: a JSON round trip gives the same pairs back.
    assert [tuple(pair) for pair in json.loads(json.dumps(properties))] == [tuple(p) for p in properties]
