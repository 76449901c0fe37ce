"""The image of the embedded Toxiproxy-compatible server, built from this package.

The server is standard-library Python (chaos/toxiproxy), so its image is the
fleet's base plus those files; the build context is made in memory, and the
tag carries a hash of the files and the base, like every other image.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import docker

from chaos.fleet.compose import PROXY_API_PORT
from chaos.fleet.images import RECIPE, build_image, local_image_id
from chaos.progress import SILENT, Progress

PACKAGE = Path(__file__).resolve().parents[1] / "toxiproxy"
REPO = "chaos-fleet/toxiproxy"
COMMAND = ["python3", "-m", "chaos.toxiproxy", "--listen", f"0.0.0.0:{PROXY_API_PORT}"]
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


def ensure_proxy_image(client: docker.DockerClient, *, base_ref: str, base_id: str,
                       progress: Progress = SILENT) -> str:
    """The embedded proxy's image on the resolved base, built when its inputs changed."""
    files = _files()
    digest = hashlib.sha256(f"{RECIPE}\0{base_id}".encode())
    for name, data in files.items():
        digest.update(name.encode() + b"\0" + data + b"\0")
    tag = f"{REPO}:{digest.hexdigest()[:12]}"
    if local_image_id(client, tag) is None:
        build_image(client, tag, source="", progress=progress, fileobj=_context(files), custom_context=True,
                    buildargs={"BASE": base_ref})
    return tag
