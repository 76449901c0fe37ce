"""The Markdown summary for a CI job page."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_runs import journal_of, make_run

from chaos.report.suite import Suite
from chaos.report.summary import STEP_SUMMARY_ENV, render_summary, write_summary


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Suite:
    folder = tmp_path_factory.mktemp("summary")
    return Suite([journal_of(make_run(folder, name="recovers")),
                  journal_of(make_run(folder, name="never-recovers", recovers=False))])


def test_a_row_per_scenario_and_each_failure_explained(suite: Suite) -> None:
    text = render_summary(suite, report="out/report.html")
    assert text.startswith("## chaos-fleet: \u274c 2 scenarios: 1 passed, 1 failed\n")
    assert "`out/report.html`" in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(rows) == 4  # header, its rule, two scenarios
    assert "never-recovers.yaml` | hold | violated | rollback-converges | 7 |" in rows[3]
    assert "### \u274c FAIL: Crash loop and recovery" in text
    assert "invariant 'rollback-converges' violated" in text
    assert "Replay: `chaos run " in text


def test_written_to_the_path_and_appended_to_the_step_summary(suite: Suite, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    step = tmp_path / "step-summary.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv(STEP_SUMMARY_ENV, str(step))
    written = write_summary(suite, path=tmp_path / "summary.md")
    assert written == [tmp_path / "summary.md", step]
    assert step.read_text().startswith("earlier step\n## chaos-fleet")
    assert (tmp_path / "summary.md").read_text().startswith("## chaos-fleet")


def test_nothing_is_written_without_a_path_or_a_step_summary(suite: Suite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STEP_SUMMARY_ENV, raising=False)
    assert write_summary(suite) == []
