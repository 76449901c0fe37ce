"""The Markdown summary: what a CI job summary page shows (GitHub's `GITHUB_STEP_SUMMARY`).

Short on purpose: the verdict, one row per scenario, and for each failure
its explanation and replay command. The HTML report holds the pictures.
"""

from __future__ import annotations

import os
from pathlib import Path

from chaos.report.suite import ERROR, FAIL, PASS, Suite, status

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
_MARK = {PASS: "\u2705 pass", FAIL: "\u274c FAIL", ERROR: "\u26a0\ufe0f error"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_summary(suite: Suite, *, report: str | None = None) -> str:
    """The suite as Markdown; `report` names the HTML report to point at."""
    mark = "\u2705" if suite.ok else "\u274c"
    lines = [f"## chaos-fleet: {mark} {suite.headline()}", ""]
    if report:
        lines += [f"The HTML report, with each run's timeline picture: `{report}`", ""]
    lines += ["| result | scenario | expect | outcome | first violation | seed | time |",
              "| --- | --- | --- | --- | --- | ---: | ---: |"]
    for journal in suite.journals:
        data = journal.data
        lines.append(f"| {_MARK[status(journal)]} | `{_cell(journal.scenario_path)}` | {data['scenario']['expect']} "
                     f"| {data['outcome']} | {_cell(journal.first_violation)} | {data['seed']} "
                     f"| {data.get('duration_s', 0):.0f}s |")
    for unrun in suite.unrun:
        lines.append(f"| {_MARK[ERROR]} | `{_cell(unrun.path)}` |  | could not run | {_cell(unrun.message)} |  |  |")
    for journal in suite.journals:
        if status(journal) == PASS:
            continue
        data = journal.data
        text = data.get("explanation") or data.get("error") or data["outcome"]
        lines += ["", f"### {_MARK[status(journal)]}: {journal.data['scenario']['title']}", "",
                  "```text", text.replace("```", "'''"), "```", "", f"Replay: `{data['replay']}`"]
    return "\n".join(lines) + "\n"


def write_summary(suite: Suite, *, path: str | Path | None = None, report: str | None = None) -> list[Path]:
    """Write the summary to `path` (replacing it) and append it to $GITHUB_STEP_SUMMARY when that is set."""
    text = render_summary(suite, report=report)
    written = []
    if path is not None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    step_summary = os.environ.get(STEP_SUMMARY_ENV)
    if step_summary:
        # GitHub gives every step the same file to append to; replacing it would drop earlier steps' summaries.
        with open(step_summary, "a", encoding="utf-8") as out:
            out.write(text)
        written.append(Path(step_summary))
    return written
