"""The report options of `chaos run`, and the `chaos report` command that re-renders from journals.

`chaos.cli` owns the parser; it calls `add_run_options` on its `run`
parser, `after_run` once the runs are over, and `add_report_parser` on its
subcommands. Every output is rendered from the journals on disk, so a
report written after a run and one re-rendered later are the same page.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from chaos.report.journal import journal_files, load_journal
from chaos.report.suite import Suite, Unrun

if TYPE_CHECKING:
    from chaos.runner.result import RunResult


def _add_outputs(parser: argparse.ArgumentParser, *, report: bool) -> None:
    parser.add_argument("--junit-xml", metavar="PATH", help="write JUnit XML: one test case per scenario")
    if report:
        parser.add_argument("--report", metavar="PATH", help="write the HTML report (self-contained, no network)")
    parser.add_argument("--summary", metavar="PATH",
                        help="write a Markdown summary (it is also appended to $GITHUB_STEP_SUMMARY when set)")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """--junit-xml, --report and --summary on the `chaos run` parser."""
    _add_outputs(parser, report=True)


def write_outputs(suite: Suite, *, junit: str | Path | None = None, report: str | Path | None = None,
                  summary: str | Path | None = None) -> list[tuple[str, Path]]:
    """Write whichever outputs are asked for; returns (what, path) for each file written.

    The Markdown summary is written whenever the suite has runs and either
    `summary` is given or $GITHUB_STEP_SUMMARY is set.
    """
    from chaos.report.html import write_report
    from chaos.report.junit import write_junit
    from chaos.report.summary import write_summary

    written: list[tuple[str, Path]] = []
    if junit:
        written.append(("junit", write_junit(suite, junit)))
    if report:
        written.append(("report", write_report(suite, report)))
    if suite.total:
        written += [("summary", p) for p in write_summary(suite, path=summary, report=str(report) if report else None)]
    return written


def after_run(args: argparse.Namespace, results: list[RunResult], *,
              errors: Iterable[tuple[str | Path, str]] = ()) -> None:
    """Write the outputs `chaos run` was asked for, from the journals of its finished runs.

    `errors` are the scenarios that produced no run at all, as (path, message),
    so that JUnit still has a case for each scenario.
    """
    journals = [load_journal(r.journal) for r in results if r.journal is not None]
    unrun = [Unrun(str(path), message) for path, message in errors]
    unrun += [Unrun(str(r.scenario.path), r.error or "no journal was written") for r in results if r.journal is None]
    suite = Suite(journals, unrun)
    for what, path in write_outputs(suite, junit=getattr(args, "junit_xml", None), report=getattr(args, "report", None),
                                    summary=getattr(args, "summary", None)):
        print(f"{what}: {path}")


def cmd_report(args: argparse.Namespace) -> int:
    """`chaos report JOURNAL... -o PATH`: render the report (and JUnit, summary) again from journals."""
    journals = [load_journal(path) for path in journal_files(args.journals)]
    # In the order they ran, as `chaos run` lists them, whatever the files are called.
    journals.sort(key=lambda j: (j.data.get("started", ""), j.scenario_path))
    suite = Suite(journals)
    for what, path in write_outputs(suite, junit=args.junit_xml, report=args.output, summary=args.summary):
        print(f"{what}: {path}")
    return 0


def add_report_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """The `chaos report` subcommand."""
    parser = subparsers.add_parser("report", help="render the HTML report (and JUnit XML, summary) from journals")
    parser.add_argument("journals", nargs="+", metavar="JOURNAL",
                        help="journal files (*.journal.json) or folders of them; each timeline file is read beside it")
    parser.add_argument("-o", "--output", default="report.html", metavar="PATH",
                        help="where the HTML report goes (default report.html)")
    _add_outputs(parser, report=False)
    parser.set_defaults(func=cmd_report)
    return parser
