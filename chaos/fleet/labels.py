"""Labels: how the harness knows its own containers, networks and images.

Everything a run creates carries `chaos-fleet.run=<run id>`; clean-up
filters on it, so nothing unlabelled is ever touched. The owner label says
which process is responsible for the run, so `chaos clean` can tell a run
whose process died (leftovers) from one that is still alive.
"""

from __future__ import annotations

import os
import secrets
import socket

RUN = "chaos-fleet.run"
SERVICE = "chaos-fleet.service"
NODE = "chaos-fleet.node"
OWNER = "chaos-fleet.owner"
FLEET_FILE = "chaos-fleet.fleet-file"
IMAGE = "chaos-fleet.image"

# On the volume that marks a fleet `chaos fleet up` left running on purpose.
DETACHED = "chaos-fleet.detached"


def new_run_id() -> str:
    """A short id that is unique enough for the runs on one machine."""
    return secrets.token_hex(4)


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            # Field 22 (start time) follows the command name, which may hold spaces.
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_value() -> str:
    """The owner label for a run started by this process."""
    pid = os.getpid()
    return f"{socket.gethostname()}/{pid}/{_start_time(pid)}"


def owner_alive(value: str | None) -> bool:
    """Whether the process named by an owner label still runs."""
    try:
        host, pid, started = (value or "").split("/")
    except ValueError:
        return False
    if host != socket.gethostname():
        # Another machine's run sharing this daemon: never ours to judge.
        return True
    return _start_time(int(pid)) == started


def run_filter(run_id: str | None = None) -> dict[str, list[str]]:
    """A Docker `filters` argument for one run's objects, or every run's."""
    return {"label": [RUN if run_id is None else f"{RUN}={run_id}"]}
