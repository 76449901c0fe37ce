"""`chaos clean`: remove what runs that died left behind, and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import docker

from chaos.fleet import labels
from chaos.fleet.fleet import remove_run


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    owner: str
    containers: int
    detached: bool

    @property
    def alive(self) -> bool:
        return labels.owner_alive(self.owner)


def runs(client: docker.DockerClient) -> list[RunInfo]:
    """Every run that has a labelled container or network on this daemon."""
    owners: dict[str, str] = {}
    counts: dict[str, int] = {}
    for obj in client.api.networks(filters=labels.run_filter()) + client.api.containers(all=True, filters=labels.run_filter()):
        run = obj["Labels"][labels.RUN]
        owners.setdefault(run, obj["Labels"].get(labels.OWNER, ""))
        if "Names" in obj:
            counts[run] = counts.get(run, 0) + 1
    detached = set()
    for volume in client.api.volumes(filters=labels.run_filter()).get("Volumes") or []:
        run = volume["Labels"][labels.RUN]
        owners.setdefault(run, volume["Labels"].get(labels.OWNER, ""))
        if volume["Labels"].get(labels.DETACHED):
            detached.add(run)
    return [RunInfo(run, owner, counts.get(run, 0), run in detached) for run, owner in sorted(owners.items())]


def clean(client: docker.DockerClient, *, include_detached: bool = False,
          warn: Callable[[str], None] | None = None) -> list[RunInfo]:
    """Remove runs whose process is gone (and, if asked, detached fleets whose process is gone too)."""
    removed = []
    for run in runs(client):
        if not run.alive and (include_detached or not run.detached):
            remove_run(client, run.run_id, warn=warn)
            removed.append(run)
    return removed
