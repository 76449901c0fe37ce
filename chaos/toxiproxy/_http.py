"""A small HTTP/1.1 server for the API: keep-alive, Content-Length or chunked
bodies, `Expect: 100-continue`, bounded sizes and bounded waits.

It only frames requests and responses; what a request means is `_api`'s job.
A malformed request gets Go's plain `400 Bad Request` and the connection is
closed, so no input can wedge or kill the server.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

logger = logging.getLogger("chaos.toxiproxy")

IDLE_TIMEOUT = 60.0  # between requests on a kept-alive connection (Go: 60 s)
READ_TIMEOUT = 15.0  # to read one request once it has started (Go: 15 s)
LINE_LIMIT = 64 * 1024
MAX_HEADERS = 200
MAX_BODY = 16 * 1024 * 1024

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


Handler = Callable[[Request], Awaitable[Response]]


class BadRequest(Exception):
    """A request that cannot be framed; answered with 400 and a close."""


async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handler: Handler) -> None:
    """Answer requests on one connection until it closes, idles out or misbehaves."""
    try:
        while True:
            try:
                request = await _read_request(reader, writer)
            except BadRequest as exc:
                logger.debug("bad HTTP request: %s", exc)
                refusal = Response(400, b"400 Bad Request", "text/plain; charset=utf-8")
                writer.write(_render(refusal, head_only=False, keep_alive=False))
                await writer.drain()
                return
            if request is None:
                return
            try:
                response = await handler(request)
            except Exception:
                logger.exception("API handler failed for %s %s", request.method, request.path)
                response = Response(500, b'{"error":"internal server error","status":500}\n', "application/json")
            writer.write(_render(response, head_only=request.method == "HEAD", keep_alive=request.keep_alive))
            await writer.drain()
            if not request.keep_alive:
                return
    except (ConnectionError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        return
    finally:
        writer.close()


async def _read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Request | None:
    async with asyncio.timeout(IDLE_TIMEOUT):
        line = await reader.readline()
        # A stray empty line before a request is allowed (RFC 9112 2.2).
        if line in (b"\r\n", b"\n"):
            line = await reader.readline()
    if not line:
        return None
    async with asyncio.timeout(READ_TIMEOUT):
        return await _read_rest(line, reader, writer)


async def _read_rest(line: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Request:
    if not line.endswith(b"\n"):
        raise BadRequest("request line too long or cut short")
    parts = line.rstrip(b"\r\n").split(b" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or parts[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise BadRequest(f"malformed request line {line[:80]!r}")
    method, target, version = parts[0].decode("ascii"), parts[1].decode("latin-1"), parts[2]
    if not target:
        raise BadRequest("empty request target")
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        header = await reader.readline()
        if not header.endswith(b"\n"):
            raise BadRequest("header line too long or cut short")
        if header in (b"\r\n", b"\n"):
            break
        name, colon, value = header.rstrip(b"\r\n").partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise BadRequest(f"malformed header {header[:80]!r}")
        key = name.decode("ascii").lower()
        text = value.strip(b" \t").decode("latin-1")
        if key in headers and key == "content-length" and headers[key] != text:
            raise BadRequest("conflicting Content-Length headers")
        headers[key] = f"{headers[key]}, {text}" if key in headers and key != "content-length" else text
    else:
        raise BadRequest("too many header lines")

    connection = headers.get("connection", "").lower()
    if version == b"HTTP/1.1":
        keep_alive = "close" not in connection
    else:
        keep_alive = "keep-alive" in connection

    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    length_text = headers.get("content-length")
    if length_text is not None and not chunked and not length_text.isdigit():
        raise BadRequest(f"bad Content-Length {length_text[:40]!r}")
    length = int(length_text) if length_text and not chunked else 0
    if length > MAX_BODY:
        raise BadRequest(f"body of {length} bytes is over the {MAX_BODY}-byte limit")
    if (chunked or length) and headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = await (_read_chunked(reader) if chunked else reader.readexactly(length))
    return Request(method, _path_of(target), headers, body, keep_alive)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readline()
        size_text = size_line.split(b";", 1)[0].strip()
        if not size_line.endswith(b"\n") or not _CHUNK_SIZE.fullmatch(size_text):
            raise BadRequest("malformed chunk size")
        size = int(size_text, 16)
        if size == 0:
            break
        if len(body) + size > MAX_BODY:
            raise BadRequest("chunked body over the limit")
        body += await reader.readexactly(size)
        if await reader.readline() not in (b"\r\n", b"\n"):
            raise BadRequest("chunk not followed by a line end")
    for _ in range(MAX_HEADERS + 1):  # trailer fields, ignored
        if await reader.readline() in (b"\r\n", b"\n", b""):
            return bytes(body)
    raise BadRequest("too many trailer lines")


def _path_of(target: str) -> str:
    """The decoded path of a request target (origin or absolute form), as Go's mux matches it."""
    if not target.startswith("/"):
        try:
            target = urlsplit(target).path or "/"
        except ValueError:
            raise BadRequest("malformed request target") from None
    path = target.split("?", 1)[0].split("#", 1)[0]
    return unquote(path, errors="replace")


def _render(response: Response, *, head_only: bool, keep_alive: bool) -> bytes:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    if response.content_type:
        lines.append(f"Content-Type: {response.content_type}")
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    if response.status != 204:
        lines.append(f"Content-Length: {len(response.body)}")
    if not keep_alive:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if head_only or response.status == 204:
        return head
    return head + response.body
