"""The image of the embedded Toxiproxy-compatible server, built from this package.

The server is standard-library Python (chaos/toxiproxy), so its image is the
fleet's base plus those files; the build context is made in memory, and the
tag carries a hash of the files and the base, like every other image.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import time
from pathlib import Path

import docker
from docker.errors import APIError, ImageNotFound

from chaos.errors import ImageBuildError
from chaos.fleet import labels
from chaos.fleet.images import RECIPE, resolve_base
from chaos.progress import SILENT, Progress

PACKAGE = Path(__file__).resolve().parents[1] / "toxiproxy"
REPO = "chaos-fleet/toxiproxy"
API_PORT = 8474
COMMAND = ["python3", "-m", "chaos.toxiproxy", "--listen", f"0.0.0.0:{API_PORT}"]
DOCKERFILE = f"""ARG BASE
FROM ${{BASE}}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv
COPY chaos ./chaos
USER 65534:65534
CMD {COMMAND!r}
""".replace("'", '"')


def _files() -> dict[str, bytes]:
    # The client (which needs toxiproxy-python) stays out: the container only serves.
    files = {"chaos/__init__.py": b""}
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name != "client.py":
            files[f"chaos/toxiproxy/{path.name}"] = path.read_bytes()
    files["Dockerfile"] = DOCKERFILE.encode()
    return files


def _context(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def ensure_proxy_image(client: docker.DockerClient, *, base: str | None = None, progress: Progress = SILENT) -> str:
    """The embedded proxy's image, built when its inputs changed."""
    base_ref = resolve_base(client, base=base, progress=progress)
    base_id = client.images.get(base_ref).id
    files = _files()
    digest = hashlib.sha256(f"{RECIPE}\0{base_id}".encode())
    for name, data in files.items():
        digest.update(name.encode() + b"\0" + data + b"\0")
    tag = f"{REPO}:{digest.hexdigest()[:12]}"
    try:
        client.images.get(tag)
        return tag
    except ImageNotFound:
        pass
    started = time.monotonic()
    try:
        for chunk in client.api.build(fileobj=_context(files), custom_context=True, tag=tag, rm=True, forcerm=True,
                                      buildargs={"BASE": base_ref}, labels={labels.IMAGE: REPO}, decode=True):
            if "error" in chunk:
                raise ImageBuildError(f"building {tag}: {chunk['error'].strip()}")
    except APIError as exc:
        raise ImageBuildError(f"building {tag}: {exc.explanation}") from None
    progress.say(f"built {tag} in {time.monotonic() - started:.1f}s")
    return tag
