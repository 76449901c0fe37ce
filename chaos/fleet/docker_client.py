"""The one place that opens a connection to the Docker daemon."""

from __future__ import annotations

import os

import docker
from docker.errors import DockerException

from chaos.errors import DockerUnavailable


def connect(*, timeout: float = 30.0) -> docker.DockerClient:
    """A client whose daemon has answered a ping; raises DockerUnavailable otherwise."""
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
    except DockerException as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DockerUnavailable(
            f"cannot reach the Docker daemon at {where}: {_short(reason)}; is it running?"
        ) from None
    return client


def _short(reason: str) -> str:
    # The SDK wraps urllib3's errors several layers deep; the innermost says it best.
    for marker in ("No such file or directory", "Connection refused", "Permission denied"):
        if marker in reason:
            return marker.lower()
    return reason[:200]
