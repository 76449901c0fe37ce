"""`chaos run`'s report options, `after_run`, and `chaos report` re-rendering from journals alone."""

from __future__ import annotations

import argparse
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_runs import make_run

from chaos.report.command import add_report_parser, add_run_options, after_run
from chaos.report.journal import JournalError
from chaos.report.summary import STEP_SUMMARY_ENV


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chaos")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("paths", nargs="+")
    add_run_options(run)
    add_report_parser(sub)
    return parser


def _without_date(html: str) -> str:
    return re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", "", html)


def test_run_options_parse() -> None:
    args = _parser().parse_args(["run", "scenarios/", "--junit-xml", "j.xml", "--report", "r.html", "--summary", "s.md"])
    assert (args.junit_xml, args.report, args.summary) == ("j.xml", "r.html", "s.md")
    plain = _parser().parse_args(["run", "scenarios/"])
    assert (plain.junit_xml, plain.report, plain.summary) == (None, None, None)


def test_after_run_writes_each_output_asked_for_and_names_it(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv(STEP_SUMMARY_ENV, raising=False)
    results = [make_run(tmp_path, name="recovers"), make_run(tmp_path, name="never-recovers", recovers=False)]
    out = tmp_path / "out"
    args = _parser().parse_args(["run", "x", "--junit-xml", str(out / "junit.xml"), "--report", str(out / "r.html"),
                                 "--summary", str(out / "summary.md")])
    after_run(args, results, errors=[("scenarios/bad.yaml", "scenarios/bad.yaml:1:1: expected a title")])
    assert capsys.readouterr().out.splitlines() == [f"junit: {out / 'junit.xml'}", f"report: {out / 'r.html'}",
                                                    f"summary: {out / 'summary.md'}"]
    names = [c.get("name") for c in ET.parse(out / "junit.xml").getroot().iter("testcase")]
    assert names == ["recovers", "never-recovers", "bad"]
    assert "3 scenarios: 1 passed, 1 failed, 1 could not run" in (out / "r.html").read_text()


def test_after_run_without_options_writes_nothing(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv(STEP_SUMMARY_ENV, raising=False)
    after_run(_parser().parse_args(["run", "x"]), [make_run(tmp_path)])
    assert capsys.readouterr().out == "" and sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".jsonl", ".yaml"]


def test_chaos_report_renders_the_same_page_from_the_journals_alone(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(STEP_SUMMARY_ENV, raising=False)
    runs = tmp_path / "runs"
    runs.mkdir()
    results = [make_run(runs, name="never-recovers", recovers=False)]
    after_run(_parser().parse_args(["run", "x", "--report", str(tmp_path / "first.html")]), results)
    args = _parser().parse_args(["report", str(runs), "-o", str(tmp_path / "again.html"),
                                 "--junit-xml", str(tmp_path / "junit.xml")])
    assert args.func(args) == 0
    first, again = (tmp_path / "first.html").read_text(), (tmp_path / "again.html").read_text()
    assert _without_date(first) == _without_date(again)
    assert (tmp_path / "junit.xml").exists()


def test_chaos_report_refuses_a_path_with_no_journal(tmp_path: Path) -> None:
    args = _parser().parse_args(["report", str(tmp_path / "missing.journal.json")])
    with pytest.raises(JournalError, match="missing.journal.json: expected a journal file or a folder of them"):
        args.func(args)
