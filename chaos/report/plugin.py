"""Reports from a pytest session of scenarios: `--chaos-report PATH`, `--chaos-summary PATH`.

pytest writes its own JUnit XML (`--junitxml`); `run_properties` gives each
scenario's test case the same properties `chaos run --junit-xml` writes.
The collector reads each scenario's journal from its test report's
`user_properties`, which xdist carries from the workers, so the controller
alone writes the report, once, with every run in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from chaos.runner.result import RunResult

# chaos.scenario.files.SUFFIXES, not imported: that loads the whole scenario package into every pytest start.
SCENARIO_SUFFIXES = (".yaml", ".yml")


def add_options(group: Any) -> None:
    """The report options, on the plugin's `chaos` option group."""
    group.addoption("--chaos-report", metavar="PATH", default=None,
                    help="write the HTML report of the scenarios run (self-contained, no network)")
    group.addoption("--chaos-summary", metavar="PATH", default=None,
                    help="write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set)")


def register(config: pytest.Config) -> None:
    """Start collecting journals for the session's reports."""
    if not config.pluginmanager.has_plugin("chaos-report"):
        config.pluginmanager.register(ReportCollector(config), "chaos-report")


def run_properties(result: RunResult) -> list[tuple[str, str]]:
    """A scenario item's user properties: seed, replay, journal, image hashes (see junit.junit_properties)."""
    if result.journal is None:
        return [("seed", str(result.seed)), ("replay", result.replay_command())]
    from chaos.report.journal import load_journal
    from chaos.report.junit import junit_properties

    return junit_properties(load_journal(result.journal))


class ReportCollector:
    """Gathers the journal of every scenario item, and writes the reports when the session ends."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.journals: dict[str, str] = {}
        self.unrun: dict[str, tuple[str, str]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        journal = dict(report.user_properties).get("journal")
        path = report.location[0]
        if journal:
            self.journals[report.nodeid] = str(journal)
        elif report.failed and path.endswith(SCENARIO_SUFFIXES):
            message = str(report.longrepr).strip().splitlines()
            self.unrun[report.nodeid] = (path, message[0] if message else "the run could not happen")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(self.config, "workerinput") or not (self.journals or self.unrun):
            return  # an xdist worker: the controller writes the reports
        from chaos.report.command import write_outputs
        from chaos.report.journal import load_journal
        from chaos.report.suite import Suite, Unrun

        suite = Suite([load_journal(p) for p in self.journals.values()],
                      [Unrun(path, message) for path, message in self.unrun.values()])
        written = write_outputs(suite, report=self.config.option.chaos_report,
                                summary=self.config.option.chaos_summary)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and written:
            reporter.ensure_newline()
            for what, path in written:
                reporter.write_line(f"chaos {what}: {path}")
