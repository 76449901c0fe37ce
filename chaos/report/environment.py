"""Where a run happened: harness, Python, Docker, and the exact images it ran.

A replay on another machine is only a replay when the images match, so the
journal names each image by its reference and its id, and the base image
the fleet's images were built on.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

import docker

from chaos.fleet import labels
from chaos.fleet.images import DEFAULT_BASE


def harness_version() -> str:
    try:
        return metadata.version("chaos-fleet")
    except metadata.PackageNotFoundError:
        return "unknown"


def _inspect(client: docker.DockerClient, ref: str) -> dict[str, Any] | None:
    try:
        return client.images.get(ref).attrs
    except Exception:  # noqa: BLE001 - an image gone since the run leaves a gap, not a lost journal
        return None


def _layers(attrs: dict[str, Any] | None) -> list[str]:
    return list(((attrs or {}).get("RootFS") or {}).get("Layers") or [])


def base_image(client: docker.DockerClient, built: dict[str, Any]) -> dict[str, Any] | None:
    """The base of a built image: the candidate whose layers start its layers.

    The builder does not record its base, and asking the resolver again could
    reach for a registry; the layers answer offline and exactly.
    """
    layers = _layers(built)
    if not layers:
        return None
    candidates = [os.environ.get("CHAOS_BASE_IMAGE"), DEFAULT_BASE]
    try:
        for image in client.images.list(filters={"label": f"{labels.IMAGE}=base"}):
            candidates += image.tags
    except Exception:  # noqa: BLE001 - best effort: the journal is written regardless
        pass
    best: tuple[int, str, str] | None = None
    for ref in dict.fromkeys(c for c in candidates if c):
        attrs = _inspect(client, ref)
        own = _layers(attrs)
        if own and layers[: len(own)] == own and (best is None or len(own) > best[0]):
            best = (len(own), ref, attrs["Id"])
    return None if best is None else {"ref": best[1], "id": best[2]}


def environment(client: docker.DockerClient, images: dict[str, str]) -> dict[str, Any]:
    """The journal's `environment`: versions, each service's image (ref and id) and the base image."""
    try:
        docker_version = client.version().get("Version")
    except Exception:  # noqa: BLE001 - the journal must still be written when Docker went away
        docker_version = None
    found: dict[str, dict[str, Any]] = {}
    inspected: dict[str, dict[str, Any] | None] = {}
    for service, ref in images.items():
        if ref not in inspected:
            inspected[ref] = _inspect(client, ref)
        found[service] = {"ref": ref, "id": (inspected[ref] or {}).get("Id")}
    built = next((attrs for attrs in inspected.values() if attrs), None)
    return {
        "harness": harness_version(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "docker": docker_version,
        "base_image": base_image(client, built) if built else None,
        "images": found,
    }
