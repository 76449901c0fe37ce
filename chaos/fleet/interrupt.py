"""Signals during a run: SIGTERM behaves like Ctrl-C, and teardown is shielded.

Whatever stops a run (a violation, Ctrl-C, CI's SIGTERM on time-out), the
fleet must still come down; a teardown cut short by a second signal would
leak the containers it was removing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal."""


def _raise(signum: int, _frame: object) -> None:
    raise Interrupted(f"stopped by {signal.Signals(signum).name}")


@contextmanager
def interruptible() -> Iterator[None]:
    """Within this block SIGTERM raises Interrupted, like Ctrl-C raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def shielded() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends (they are delivered afterwards)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
