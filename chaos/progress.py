"""Progress lines for long work, on standard error.

On a terminal a status line is rewritten in place; in a CI log each status
is printed once and repeats are dropped, so the log stays readable.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    """Say what the harness is doing; `quiet` keeps only warnings."""

    def __init__(self, *, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._lock = threading.Lock()
        self._last_status = ""
        self._status_shown = False
        self._last_time = 0.0

    def say(self, message: str) -> None:
        """A line that stays."""
        if self.quiet:
            return
        with self._lock:
            self._clear()
            print(message, file=self.stream, flush=True)

    def warn(self, message: str) -> None:
        with self._lock:
            self._clear()
            print(f"warning: {message}", file=self.stream, flush=True)

    def status(self, message: str, *, every: float = 2.0) -> None:
        """A line that the next status replaces; in logs, at most one each `every` seconds."""
        if self.quiet or message == self._last_status:
            return
        with self._lock:
            if self.tty:
                self.stream.write("\r\033[K" + message[:200])
                self.stream.flush()
                self._status_shown = True
            elif time.monotonic() - self._last_time >= every:
                print(message, file=self.stream, flush=True)
                self._last_time = time.monotonic()
            self._last_status = message

    def done(self) -> None:
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        if self._status_shown:
            self.stream.write("\r\033[K")
            self._status_shown = False
        self._last_status = ""


SILENT = Progress(quiet=True)
