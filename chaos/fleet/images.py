"""Images without a registry.

The fleet's images build locally from a base image. The base is the one the
user names (option or CHAOS_BASE_IMAGE), else the official Python image when
it is here or a registry hands it over within a few seconds, else one
bootstrapped from Debian packages (mmdebstrap piped into `docker import`).
Tags carry a hash of every input, so an unchanged tree builds nothing twice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import docker
from docker.errors import APIError, ImageNotFound

from chaos.errors import ImageBuildError
from chaos.fleet import labels
from chaos.fleet.compose import Build, FleetSpec
from chaos.progress import SILENT, Progress

DEFAULT_BASE = "python:3.11-slim"
BOOTSTRAP_REPO = "chaos-fleet/base"
REGISTRY_WAIT_SECONDS = 5.0
# Bumped when the way images are built changes, so old tags are not reused.
RECIPE = "1"


def local_image_id(client: docker.DockerClient, ref: str) -> str | None:
    """The image id of `ref` if it is here."""
    try:
        return client.images.get(ref).id
    except ImageNotFound:
        return None


def _pull_within(client: docker.DockerClient, ref: str, seconds: float) -> bool:
    """Try a pull, giving up after `seconds`: an air-gapped network may hang rather than refuse."""
    repo, _, tag = ref.partition(":")
    outcome: list[bool] = []

    def pull() -> None:
        try:
            client.api.pull(repo, tag=tag or "latest")
            outcome.append(True)
        except Exception:  # noqa: BLE001 - any failure means "no registry"
            outcome.append(False)

    worker = threading.Thread(target=pull, daemon=True, name=f"pull {ref}")
    worker.start()
    worker.join(seconds)
    return bool(outcome and outcome[0] and local_image_id(client, ref))


def _bootstrap_tag() -> str:
    suite = os.environ.get("CHAOS_DEBIAN_SUITE", "bookworm")
    return f"{BOOTSTRAP_REPO}:{suite}-python3"


def bootstrap_base(client: docker.DockerClient, *, progress: Progress = SILENT) -> str:
    """Build a python3 base from Debian packages: mmdebstrap into `docker import`."""
    tag = _bootstrap_tag()
    if local_image_id(client, tag):
        return tag
    if shutil.which("mmdebstrap") is None:
        raise ImageBuildError("no base image: no registry answered and mmdebstrap is not installed "
                              "(apt-get install mmdebstrap), or pass --base IMAGE / set CHAOS_BASE_IMAGE")
    suite = os.environ.get("CHAOS_DEBIAN_SUITE", "bookworm")
    mirror = os.environ.get("CHAOS_DEBIAN_MIRROR", "http://deb.debian.org/debian")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chaos-base-") as scratch:
        tarball = Path(scratch) / "base.tar"
        command = ["mmdebstrap", "--variant=minbase", "--include=python3", "--format=tar",
                   "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
                   "--dpkgopt=path-exclude=/usr/share/locale/*", suite, str(tarball), mirror]
        # stdin closed: without a tty mmdebstrap would read a sources list from it.
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        tail: list[str] = []
        assert proc.stderr is not None
        for line in proc.stderr:
            tail = (tail + [line.rstrip()])[-5:]
            progress.status(f"  mmdebstrap ({time.monotonic() - started:.0f}s): {line.strip()[:100]}")
        if proc.wait() != 0:
            raise ImageBuildError(f"mmdebstrap {suite} from {mirror} failed (exit {proc.returncode}): "
                                  + " | ".join(tail[-2:]))
        progress.status(f"  importing {tarball.stat().st_size // 2**20} MiB into Docker as {tag}")
        repo, _, version = tag.partition(":")
        try:
            client.api.import_image(src=str(tarball), repository=repo, tag=version,
                                    changes=[f"LABEL {labels.IMAGE}=base", 'CMD ["python3"]'])
        except APIError as exc:
            raise ImageBuildError(f"docker import of the bootstrapped base failed: {exc.explanation}") from None
    progress.say(f"base image {tag} bootstrapped from Debian {suite} in {time.monotonic() - started:.0f}s")
    return tag


def resolve_base(client: docker.DockerClient, *, base: str | None = None, progress: Progress = SILENT) -> str:
    """The base image to build on, bootstrapping one when no registry answers."""
    requested = base or os.environ.get("CHAOS_BASE_IMAGE")
    if requested:
        if local_image_id(client, requested) or _pull_within(client, requested, REGISTRY_WAIT_SECONDS):
            return requested
        raise ImageBuildError(f"base image {requested!r} is not here and no registry handed it over within "
                              f"{REGISTRY_WAIT_SECONDS:.0f}s; load it with `docker load`, or unset it to bootstrap one")
    for ref in (DEFAULT_BASE, _bootstrap_tag()):
        if local_image_id(client, ref):
            return ref
    progress.status(f"asking a registry for {DEFAULT_BASE} (at most {REGISTRY_WAIT_SECONDS:.0f}s)")
    if _pull_within(client, DEFAULT_BASE, REGISTRY_WAIT_SECONDS):
        progress.say(f"base image {DEFAULT_BASE} pulled")
        return DEFAULT_BASE
    progress.say(f"no registry answered within {REGISTRY_WAIT_SECONDS:.0f}s: bootstrapping a base image "
                 "from Debian packages (mmdebstrap), once; later builds reuse it")
    return bootstrap_base(client, progress=progress)


def inputs_hash(build: Build, base_id: str) -> str:
    """A hash of everything that goes into an image: base, build args and every file of the context."""
    digest = hashlib.sha256(f"{RECIPE}\0{base_id}\0{build.dockerfile}\0{sorted(build.args.items())}".encode())
    for path in sorted(build.context.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(build.context)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def build_image(client: docker.DockerClient, tag: str, *, source: str, progress: Progress, **build: object) -> None:
    """Build `tag` (client.api.build arguments in `build`), showing its steps; `source` names it in errors."""
    name = tag.split(":")[0]
    started = time.monotonic()
    try:
        for chunk in client.api.build(tag=tag, labels={labels.IMAGE: name}, rm=True, forcerm=True, pull=False,
                                      decode=True, **build):
            if "error" in chunk:
                raise ImageBuildError(f"building {tag}{source}: {chunk['error'].strip()}")
            line = (chunk.get("stream") or "").strip()
            if line.startswith("Step "):
                progress.status(f"  {name}: {line[:120]}")
    except APIError as exc:
        raise ImageBuildError(f"building {tag}{source}: {exc.explanation}") from None
    progress.say(f"built {tag} in {time.monotonic() - started:.1f}s")


def ensure_images(client: docker.DockerClient, fleet: FleetSpec, *, base: str | None = None,
                  progress: Progress = SILENT) -> dict[str, str]:
    """The image of every service, building what is missing; returns service -> image ref."""
    refs: dict[str, str] = {}
    builds = {name: s.build for name, s in fleet.services.items() if s.build is not None}
    proxies = [name for name, s in fleet.services.items() if s.embedded_proxy]
    for name, service in fleet.services.items():
        if service.image and service.build is None:
            if not (local_image_id(client, service.image) or _pull_within(client, service.image, REGISTRY_WAIT_SECONDS)):
                raise ImageBuildError(f"services.{name}.image: {service.image!r} is not here and no registry "
                                      f"handed it over; load it with `docker load` or give the service a build")
            refs[name] = service.image
    if not builds and not proxies:
        return refs
    base_ref = resolve_base(client, base=base, progress=progress)
    base_id = local_image_id(client, base_ref) or base_ref
    if proxies:
        from chaos.fleet.proxy_image import ensure_proxy_image

        proxy_ref = ensure_proxy_image(client, base_ref=base_ref, base_id=base_id, progress=progress)
        refs.update(dict.fromkeys(proxies, proxy_ref))
    built: dict[tuple, str] = {}
    for name, build in builds.items():
        key = (build.context, build.dockerfile, tuple(sorted(build.args.items())))
        if key not in built:
            repo = f"chaos-fleet/{fleet.name}-{build.context.name}".lower()
            tag = f"{repo}:{inputs_hash(build, base_id)}"
            if local_image_id(client, tag) is None:
                build_image(client, tag, source=f" from {build.context}", progress=progress, path=str(build.context),
                            dockerfile=build.dockerfile, buildargs={"BASE": base_ref, **build.args})
            built[key] = tag
        refs[name] = built[key]
    progress.done()
    return refs
