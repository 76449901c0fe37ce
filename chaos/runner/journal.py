"""The journal writer lives in `chaos.report.journal`; this name stays for the runner's import."""

from chaos.report.environment import environment
from chaos.report.journal import JOURNAL_SCHEMA, write_journal

__all__ = ["JOURNAL_SCHEMA", "environment", "write_journal"]
