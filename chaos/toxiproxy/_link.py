"""One proxied connection: two sockets and the two links between them.

The upstream link carries client -> server bytes, the downstream link
server -> client. A link with no toxics hands each read straight to the
other socket (spliced in the kernel where it can be, see `_side`), with no
task and no queue, which is what keeps the added latency and the throughput
cost small. As soon as its proxy has a toxic in that direction, the link's
chunks go through a queue drained by one task that walks the proxy's
*current* chain for every chunk, so toxics added, updated or removed reach
live connections at once; when the chain is empty again and the queue is
drained, the link falls back to the direct path.

There is no half-close, as in Go: when one link's source ends, its chain
delivers what it holds, its destination is closed, and then the other link
ends the same way.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import logging
import socket
from collections import deque
from typing import TYPE_CHECKING

from ._address import AddressError, parse_address
from ._effects import EFFECTS, draw
from ._side import HOLD_DESTINATION, HOLD_DIAL, HOLD_QUEUE, Side
from ._toxics import DOWNSTREAM, UPSTREAM, Toxic

if TYPE_CHECKING:
    from ._proxy import Proxy

logger = logging.getLogger("chaos.toxiproxy")

QUEUE_HIGH = 4 << 20
QUEUE_LOW = 1 << 20

_EOF = object()


class ToxicState:
    """What one link remembers about one toxic."""

    __slots__ = ("active", "count", "debt", "fired", "timer")

    def __init__(self, active: bool) -> None:
        self.active = active
        self.count = 0
        self.debt = 0.0
        self.fired = False
        self.timer: asyncio.TimerHandle | None = None


class Link:
    """One direction of a connection, with its running copy of the toxic chain."""

    def __init__(self, connection: Connection, direction: str, chain: list[Toxic], source: Side, destination: Side) -> None:
        self.connection = connection
        self.loop = connection.loop
        self.direction = direction
        self.chain = chain  # the proxy's live list: edits are seen at once
        self.source = source
        self.destination = destination
        self.states: dict[Toxic, ToxicState] = {}
        self.queue: deque[object] = deque()
        self.queued = 0
        self.pump: asyncio.Task[None] | None = None
        self.ended = False
        self.finished = False
        self._destination_full = False
        self._writable: asyncio.Future[bool] | None = None
        self._waiters: dict[Toxic, set[asyncio.Future[bool]]] = {}

    # -- bytes in ---------------------------------------------------------

    def feed(self, data: memoryview) -> None:
        """Take bytes read from the source (a view of a buffer that will be reused)."""
        if self.finished:
            return
        if self.pump is None and not self.chain:
            self.destination.write(data)
            return
        self._enqueue((bytes(data), self.loop.time()))

    def feed_eof(self) -> None:
        if self.ended or self.finished:
            return
        self.ended = True
        if self.pump is None and not self.chain:
            self._close()
        else:
            self._enqueue(_EOF)

    def _enqueue(self, item: object) -> None:
        self.queue.append(item)
        if item is not _EOF:
            self.queued += len(item[0])  # type: ignore[index]
            if self.queued > QUEUE_HIGH:
                self.source.hold(HOLD_QUEUE, True)
        if self.pump is None:
            self.pump = self.loop.create_task(self._run())

    async def _run(self) -> None:
        try:
            while self.queue and not self.finished:
                item = self.queue.popleft()
                if item is _EOF:
                    await self._end_through_chain()
                    return
                data, stamp = item  # type: ignore[misc]
                self.queued -= len(data)
                if self.queued <= QUEUE_LOW:
                    self.source.hold(HOLD_QUEUE, False)
                await self.forward(data, stamp, after=None)
                if self._destination_full and not self.finished:
                    await self._wait_writable()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("link %s of proxy %s failed; closing the connection", self.direction, self.connection.proxy.name)
            self.connection.abort()
        finally:
            if self.pump is asyncio.current_task():
                self.pump = None

    # -- the chain ---------------------------------------------------------

    async def forward(self, data: bytes, stamp: float, *, after: Toxic | None) -> None:
        """Pass `data` to the first active toxic after `after`, or to the destination."""
        if self.finished:
            return
        found = self._next_active(-1 if after is None else after.seq)
        if found is None:
            self.destination.write(data)
        else:
            toxic, state = found
            await EFFECTS[toxic.type].pipe(self, toxic, state, data, stamp)

    async def _end_through_chain(self) -> None:
        seq = -1
        while not self.finished and (found := self._next_active(seq)) is not None:
            toxic, state = found
            seq = toxic.seq
            await EFFECTS[toxic.type].on_eof(self, toxic, state)
        self._close()

    def _next_active(self, seq: int) -> tuple[Toxic, ToxicState] | None:
        """The first toxic after `seq` in the current chain that acts on this link."""
        for toxic in self.chain:
            if toxic.seq > seq:
                state = self.states.get(toxic) or self._attach(toxic)
                if state.active:
                    return toxic, state
        return None

    async def nap(self, toxic: Toxic, seconds: float | None) -> bool:
        """Sleep; False if `toxic` was updated or removed (or the link ended) meanwhile."""
        future: asyncio.Future[bool] = self.loop.create_future()
        waiters = self._waiters.setdefault(toxic, set())
        waiters.add(future)
        handle = None if seconds is None else self.loop.call_later(seconds, _resolve, future, True)
        try:
            return await future
        finally:
            if handle is not None:
                handle.cancel()
            waiters.discard(future)

    def _interrupt(self, toxic: Toxic) -> None:
        for future in self._waiters.pop(toxic, ()):
            _resolve(future, False)

    def _attach(self, toxic: Toxic) -> ToxicState:
        state = ToxicState(draw(toxic.toxicity))
        self.states[toxic] = state
        EFFECTS[toxic.type].attach(self, toxic, state)
        return state

    def start(self) -> None:
        for toxic in list(self.chain):
            if not self.finished:
                self._attach(toxic)

    def toxic_added(self, toxic: Toxic) -> None:
        if not self.finished:
            self._attach(toxic)

    def toxic_updated(self, toxic: Toxic) -> None:
        if self.finished:
            return
        state = self.states.get(toxic)
        if state is None:
            self._attach(toxic)
            return
        state.active = draw(toxic.toxicity)
        self._interrupt(toxic)
        EFFECTS[toxic.type].attach(self, toxic, state)

    def toxic_removed(self, toxic: Toxic) -> None:
        if self.finished:
            return
        state = self.states.pop(toxic, None)
        self._interrupt(toxic)
        if state is not None:
            EFFECTS[toxic.type].detach(self, toxic, state)

    # -- bytes out and the end ---------------------------------------------

    def destination_paused(self) -> None:
        self._destination_full = True
        self.source.hold(HOLD_DESTINATION, True)

    def destination_resumed(self) -> None:
        self._release_destination(True)

    def stop_writing(self) -> None:
        """The destination socket is closed: nothing more goes out, so wait for nothing."""
        self._release_destination(False)

    def _release_destination(self, writable: bool) -> None:
        self._destination_full = False
        self.source.hold(HOLD_DESTINATION, False)
        if self._writable is not None:
            _resolve(self._writable, writable)

    async def _wait_writable(self) -> None:
        self._writable = self.loop.create_future()
        try:
            await self._writable
        finally:
            self._writable = None

    def terminate(self) -> None:
        """End the link now (a toxic decided so): drop what it holds, close its destination."""
        if self.finished:
            return
        self.queue.clear()
        self.queued = 0
        pump = self.pump
        if pump is not None and pump is not asyncio.current_task():
            pump.cancel()
        self._close()

    def _close(self) -> None:
        if self.finished:
            return
        self.stop()
        self.destination.close()
        self.connection.link_closed(self)

    def stop(self) -> None:
        """Forget toxic state and timers; nothing more goes through this link."""
        self.finished = True
        for state in self.states.values():
            if state.timer is not None:
                state.timer.cancel()
                state.timer = None
        for toxic in list(self._waiters):
            self._interrupt(toxic)
        if self._writable is not None:
            _resolve(self._writable, False)


def _resolve(future: asyncio.Future[bool], value: bool) -> None:
    if not future.done():
        future.set_result(value)


class Connection:
    """A client socket accepted by a proxy, and the socket dialled to its upstream."""

    def __init__(self, proxy: Proxy, client: socket.socket) -> None:
        self.proxy = proxy
        self.loop = asyncio.get_running_loop()
        self.client = Side(self, client)
        self.server: Side | None = None
        self.upstream: Link | None = None
        self.downstream: Link | None = None
        self.closed = False
        self._dial: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Dial the upstream; the client is read only once that is done (as Go)."""
        self.proxy.connections.add(self)
        self.client.holds = HOLD_DIAL
        self._dial = self.loop.create_task(self._connect())

    def link(self, direction: str) -> Link | None:
        return self.upstream if direction == UPSTREAM else self.downstream

    async def _connect(self) -> None:
        upstream = self.proxy.upstream
        try:
            sock = await _dial(upstream)
        except asyncio.CancelledError:
            raise
        except (OSError, AddressError, ValueError, UnicodeError) as exc:
            # Go closes the client right after accept when the dial fails.
            logger.debug("proxy %s: cannot dial upstream %s: %s", self.proxy.name, upstream, exc)
            self.abort()
            return
        if self.closed:
            sock.close()
            return
        self.server = Side(self, sock)
        self.upstream = Link(self, UPSTREAM, self.proxy.chain(UPSTREAM), self.client, self.server)
        self.downstream = Link(self, DOWNSTREAM, self.proxy.chain(DOWNSTREAM), self.server, self.client)
        self.client.reader = self.server.writer = self.upstream
        self.server.reader = self.client.writer = self.downstream
        if any(t.type == "reset_peer" for t in self.proxy.toxics()):
            self.client.set_linger_zero()
            self.server.set_linger_zero()
        self.upstream.start()
        self.downstream.start()
        self.server.hold(0, False)
        self.client.hold(HOLD_DIAL, False)

    def side_closed(self, side: Side) -> None:
        if self.closed:
            return
        if self.upstream is None or self.downstream is None or self.server is None:
            self.abort()
            return
        side.writer.stop_writing()
        side.reader.feed_eof()
        if self.client.closed and self.server.closed:
            self._forget()

    def link_closed(self, link: Link) -> None:
        other = self.downstream if link is self.upstream else self.upstream
        if other is not None:
            other.feed_eof()

    def abort(self) -> None:
        """Close both sockets at once, dropping whatever toxics hold."""
        if self.closed:
            return
        self.closed = True
        if self._dial is not None and self._dial is not asyncio.current_task():
            self._dial.cancel()
        for side in (self.client, self.server):
            if side is not None:
                side.abort()
        self._forget()

    def _forget(self) -> None:
        self.closed = True
        for link in (self.upstream, self.downstream):
            if link is None:
                continue
            link.stop()
            pump = link.pump
            if pump is not None and pump is not asyncio.current_task():
                pump.cancel()
        self.proxy.connections.discard(self)


# Lookups of an upstream that has left the network can take seconds each; a pool
# of their own keeps them from queueing up the lookups of healthy upstreams.
_RESOLVER = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="toxiproxy-resolve")


async def _dial(upstream: str) -> socket.socket:
    """Connect to `host:port`, trying each address (IPv4 first) as Go's dialer does."""
    host, port = parse_address(upstream)
    loop = asyncio.get_running_loop()
    try:
        addresses = [(socket.AF_INET6 if ":" in host else socket.AF_INET, str(ipaddress.ip_address(host or "127.0.0.1")))]
    except ValueError:
        infos = await loop.run_in_executor(_RESOLVER, lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        infos.sort(key=lambda info: info[0] != socket.AF_INET)
        addresses = [(info[0], info[4][0]) for info in infos]
    failure: OSError = OSError(f"no address for {upstream}")
    for family, address in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, (address, port))
        except OSError as exc:
            sock.close()
            failure = exc
        except BaseException:
            sock.close()
            raise
        else:
            return sock
    raise failure
