"""Reports: the journal of each run, and the JUnit XML, HTML report and Markdown summary rendered from journals.

    run -> journal.py (JSON, beside the timeline's JSON-lines file)
        -> suite.py (the journals of one job, and what could not run)
        -> junit.py | html.py (binning.py -> picture.py) | summary.py
    command.py   the `chaos run` report options and `chaos report`
    plugin.py    the same outputs from a pytest session

Importing this package imports nothing: the runner needs only the journal
writer, and the pytest plugin must stay light, so names load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "Journal": "journal", "JournalError": "journal", "load_journal": "journal", "write_journal": "journal",
    "JOURNAL_SCHEMA": "journal", "Suite": "suite", "Unrun": "suite", "write_junit": "junit", "render_junit": "junit",
    "write_report": "html", "render_report": "html", "write_summary": "summary", "render_summary": "summary",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module 'chaos.report' has no attribute {name!r}")
    return getattr(importlib.import_module(f"chaos.report.{_NAMES[name]}"), name)
