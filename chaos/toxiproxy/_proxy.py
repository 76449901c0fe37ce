"""One proxy: its listener, its live connections and its two toxic chains."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket

from . import _address
from ._link import Connection, Link
from ._toxics import DOWNSTREAM, UPSTREAM, Toxic

logger = logging.getLogger("chaos.toxiproxy")

BACKLOG = 1024
ACCEPTS_PER_WAKEUP = 64
# Out of file descriptors or memory: stop accepting for a moment instead of
# spinning on a listener that stays readable.
_ACCEPT_BACKOFF = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class Proxy:
    """A named listener that forwards every connection to `upstream` through its toxics.

    `listen` is the text the client sent until the proxy first listens, and
    the bound `ip:port` from then on, so a disable/enable cycle comes back on
    the same port (clients check this).
    """

    def __init__(self, *, name: str, listen: str, upstream: str) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.connections: set[Connection] = set()
        self._chains: dict[str, list[Toxic]] = {UPSTREAM: [], DOWNSTREAM: []}
        self._listener: socket.socket | None = None

    # -- listening ---------------------------------------------------------

    async def start(self) -> None:
        """Listen on `listen`; ApiError 500 (Go's wording) if it cannot."""
        if self.enabled:
            return
        sock = await _address.bind(self.listen)
        try:
            sock.listen(BACKLOG)
            sock.setblocking(False)
            asyncio.get_running_loop().add_reader(sock.fileno(), self._accept, sock)
        except BaseException:
            sock.close()
            raise
        self._listener = sock
        self.listen = _address.bound_text(sock)
        self.enabled = True

    def stop(self) -> None:
        """Stop listening and close every live connection at once."""
        sock, self._listener = self._listener, None
        if sock is not None:
            asyncio.get_running_loop().remove_reader(sock.fileno())
            sock.close()
        self.enabled = False
        for connection in list(self.connections):
            connection.abort()

    def _accept(self, listener: socket.socket) -> None:
        for _ in range(ACCEPTS_PER_WAKEUP):
            try:
                client, _ = listener.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno not in _ACCEPT_BACKOFF:
                    logger.debug("proxy %s: accept failed: %s", self.name, exc)
                    continue
                logger.warning("proxy %s cannot accept (%s); pausing accepts for 1 s", self.name, exc)
                loop = asyncio.get_running_loop()
                loop.remove_reader(listener.fileno())
                loop.call_later(1.0, self._resume_accepting, listener)
                return
            Connection(self, client).start()

    def _resume_accepting(self, listener: socket.socket) -> None:
        if listener is self._listener:
            asyncio.get_running_loop().add_reader(listener.fileno(), self._accept, listener)

    async def update(self, *, listen: str, upstream: str, enabled: bool) -> None:
        """Apply new settings the way Go does: any change restarts, then enable or disable."""
        resolved = await _address.resolved_text(listen)
        if resolved != self.listen or upstream != self.upstream:
            self.stop()
            self.listen = listen
            self.upstream = upstream
        if enabled != self.enabled:
            if enabled:
                await self.start()
            else:
                self.stop()

    # -- toxics --------------------------------------------------------------

    def chain(self, direction: str) -> list[Toxic]:
        return self._chains[direction]

    def toxics(self) -> list[Toxic]:
        """Upstream toxics first, then downstream ones, each in the order added."""
        return self._chains[UPSTREAM] + self._chains[DOWNSTREAM]

    def find_toxic(self, name: str) -> Toxic | None:
        for toxic in self.toxics():
            if toxic.name == name:
                return toxic
        return None

    def _live_links(self, direction: str) -> list[Link]:
        """The links of live connections that carry `direction` (a copy: toxics may close some)."""
        links = (connection.link(direction) for connection in list(self.connections))
        return [link for link in links if link is not None]

    def add_toxic(self, toxic: Toxic) -> None:
        self._chains[toxic.stream].append(toxic)
        for link in self._live_links(toxic.stream):
            link.toxic_added(toxic)

    def update_toxic(self, toxic: Toxic, *, attributes: dict[str, int], toxicity: float | None) -> None:
        toxic.attributes.update(attributes)
        if toxicity is not None:
            toxic.toxicity = toxicity
        for link in self._live_links(toxic.stream):
            link.toxic_updated(toxic)

    def remove_toxic(self, toxic: Toxic) -> None:
        self._chains[toxic.stream].remove(toxic)
        for link in self._live_links(toxic.stream):
            link.toxic_removed(toxic)

    def remove_all_toxics(self) -> None:
        for toxic in self.toxics():
            self.remove_toxic(toxic)

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [toxic.to_json() for toxic in self.toxics()],
        }
