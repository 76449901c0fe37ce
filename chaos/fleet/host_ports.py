"""The host ports a fleet publishes on: a range outside the kernel's ephemeral one.

Left to itself, Docker picks each published port from the kernel's
ephemeral range (`ip_local_port_range`), the same range every outgoing
connection on the host takes its source port from, the harness's own
health reads among them. A node in a restart loop is re-published on every
restart, so the daemon keeps meeting ports already in use: each is a
failed bind and a retry in its log ("address already in use, retry"), and
after ten in a row the restart fails. Asking Docker for a range outside
the ephemeral one keeps the two apart; Docker still chooses the free port
within it, and `CHAOS_HOST_PORTS` overrides the choice."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from chaos.errors import UsageError

ENV = "CHAOS_HOST_PORTS"
KERNEL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# Enough for many fleets side by side and for the new port of every restart in a loop.
MIN_SPAN = 1000
LOWEST = 1024  # below it, ports belong to system services


def _parse(text: str) -> tuple[int, int] | None:
    found = re.fullmatch(r"\s*(\d{1,5})\s*[-\s]\s*(\d{1,5})\s*", text)
    if not found:
        return None
    low, high = int(found[1]), int(found[2])
    return (low, high) if 0 < low < high < 65536 else None


def outside(ephemeral: tuple[int, int] | None) -> tuple[int, int] | None:
    """Ports outside `ephemeral`: all above it when that spans MIN_SPAN, else up to 16384 just below it.

    None when neither spans MIN_SPAN."""
    if ephemeral is None:
        return None
    low, high = ephemeral
    # Above the ephemeral range few services listen; below it most do, so it is only the fallback.
    for candidate in ((high + 1, 65535), (max(LOWEST, low - 16384), low - 1)):
        if candidate[1] - candidate[0] + 1 >= MIN_SPAN:
            return candidate
    return None


def host_port_range(environ: Mapping[str, str] = os.environ, kernel_range: Path = KERNEL_RANGE) -> str | None:
    """The `HostPort` value to publish with ("LOW-HIGH"), or None to let Docker choose as it likes.

    `CHAOS_HOST_PORTS` is "LOW-HIGH" or "docker" (Docker's own choice);
    unset, a range outside the kernel's ephemeral one (see `outside`).
    """
    wanted = environ.get(ENV, "").strip()
    if wanted.lower() == "docker":
        return None
    if wanted:
        chosen = _parse(wanted)
        if chosen is None or chosen[0] < LOWEST:
            raise UsageError(f"{ENV}={wanted!r}: expected a port range LOW-HIGH within {LOWEST}-65535, "
                             "or 'docker' to let Docker choose")
        return f"{chosen[0]}-{chosen[1]}"
    try:
        ephemeral = _parse(kernel_range.read_text())
    except OSError:
        ephemeral = None
    chosen = outside(ephemeral)
    return f"{chosen[0]}-{chosen[1]}" if chosen else None


def loopback_binding(port_range: str | None) -> tuple[str, ...]:
    """A docker SDK port binding: 127.0.0.1, at a free port of the range (or of Docker's choice)."""
    return ("127.0.0.1", port_range) if port_range else ("127.0.0.1",)
