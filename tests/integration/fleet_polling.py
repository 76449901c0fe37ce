"""A bounded wait for integration tests: poll until true, or fail saying what was last seen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(what: str, read: Callable[[], T], done: Callable[[T], bool], *, timeout: float, interval: float = 0.25) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f}s; last seen: {value!r}"[:2000])
        time.sleep(interval)
