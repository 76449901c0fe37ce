"""Health: ask a node's health endpoint, and wait, bounded, until nodes answer."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tenacity import Retrying, retry_if_result, stop_after_delay, stop_when_event_set, wait_fixed

from chaos.errors import NodeNeverHealthy


@dataclass(frozen=True)
class HealthReading:
    """One answer (or non-answer) of a health endpoint."""

    healthy: bool
    status: int | None
    body: dict[str, Any] | None
    error: str | None = None

    def describe(self) -> str:
        if self.error:
            return self.error
        return f"HTTP {self.status}" + (f" {json.dumps(self.body)[:160]}" if self.body else "")


def http_json(port: int, path: str, *, method: str = "GET", body: bytes | None = None,
              timeout: float = 1.0, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to 127.0.0.1:port; returns status, headers and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def read_health(port: int | None, path: str, *, timeout: float = 1.0) -> HealthReading:
    """Ask once; 2xx is healthy. Never raises for a node that does not answer."""
    if port is None:
        return HealthReading(False, None, None, "no published port (container not running)")
    try:
        status, _, raw = http_json(port, path, timeout=timeout)
    except (OSError, http.client.HTTPException) as exc:
        return HealthReading(False, None, None, f"{type(exc).__name__}: {exc}"[:200])
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return HealthReading(200 <= status < 300, status, body if isinstance(body, dict) else None)


def wait_all(names: Sequence[str], probe: Callable[[str], HealthReading], *, deadline: float,
             interval: float = 0.05, describe_failure: Callable[[str, HealthReading], str] | None = None,
             on_progress: Callable[[int, int], None] | None = None) -> None:
    """Wait until every node's probe is healthy, at most `deadline` seconds in all.

    Raises NodeNeverHealthy naming the nodes that never became healthy and
    what was last seen of each.
    """
    last: dict[str, HealthReading] = {}
    healthy: set[str] = set()
    # Set when the caller is interrupted, so no probe thread outlives the wait.
    cancel = threading.Event()

    def one(name: str) -> None:
        def attempt() -> bool:
            last[name] = probe(name)
            return last[name].healthy

        retrying = Retrying(stop=stop_after_delay(deadline) | stop_when_event_set(cancel), wait=wait_fixed(interval),
                            retry=retry_if_result(lambda ok: not ok), retry_error_callback=lambda _: False)
        if retrying(attempt):
            healthy.add(name)
            if on_progress:
                on_progress(len(healthy), len(names))

    pool = ThreadPoolExecutor(max_workers=min(32, max(1, len(names))), thread_name_prefix="health")
    try:
        list(pool.map(one, names))
    except BaseException:
        cancel.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    missing = [n for n in names if n not in healthy]
    if missing:
        first = missing[0]
        seen = describe_failure(first, last[first]) if describe_failure else last[first].describe()
        others = f" (and {len(missing) - 1} more: {', '.join(missing[1:6])})" if len(missing) > 1 else ""
        raise NodeNeverHealthy(f"node {first} never became healthy within {deadline:.0f}s{others}; "
                               f"last seen: {seen}")
