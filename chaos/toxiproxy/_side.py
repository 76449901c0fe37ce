"""One socket of a proxied connection, driven straight from the event loop.

Not an asyncio transport, for one reason: with no toxic in a direction,
bytes move socket -> pipe -> socket with splice(2) (Linux) and never enter
Python. Elsewhere, or once splice is refused, or while descriptors run
short, the same path reads into a reused buffer and writes from it. What
cannot be written at once waits (pipe first, then a buffer), and the link
writing into the socket is told to pause and resume.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import socket
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._link import Connection, Link

logger = logging.getLogger("chaos.toxiproxy")

# Why a socket stopped reading; it reads again when no reason is left.
HOLD_DIAL = 1
HOLD_DESTINATION = 2
HOLD_QUEUE = 4
HOLD_ENDED = 8

# Bytes waiting to be written to a socket before its writer link pauses.
WRITE_HIGH = 1 << 20
WRITE_LOW = 1 << 18
# Reads go into a reused buffer; it starts small and grows once a read fills
# it, so idle connections stay cheap.
READ_FIRST = 16 * 1024
READ_MOST = 1 << 20

PIPE_SIZE = 1 << 20
SOCKET_BUFFER = 1 << 22
_SPLICE_FLAGS = getattr(os, "SPLICE_F_MOVE", 0) | getattr(os, "SPLICE_F_NONBLOCK", 0)
# CHAOS_TOXIPROXY_SPLICE=0 turns splice off (to compare, or on a kernel that
# misbehaves with it); it also turns itself off the first time it is refused.
_splice_works = hasattr(os, "splice") and os.environ.get("CHAOS_TOXIPROXY_SPLICE", "1") != "0"
# Errors that mean "this kernel or sandbox will not splice these fds".
_SPLICE_REFUSED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM}

_LINGER_ZERO = struct.pack("ii", 1, 0)


class Side:
    """One socket of a proxied connection, client or server, non-blocking.

    It reads for its `reader` link and writes for its `writer` link. What
    cannot be written at once waits in `piped` bytes of its pipe (spliced
    from the other socket) and then in `out`, in that order.
    """

    def __init__(self, connection: Connection, sock: socket.socket) -> None:
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Larger kernel buffers let one wakeup move more bytes: fewer trips through Python.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        except OSError:
            pass
        self.connection = connection
        self.loop = connection.loop
        self.sock = sock
        self.fd = sock.fileno()
        self.reader: Link  # the link that reads from this socket
        self.writer: Link  # the link that writes into it
        self.holds = 0
        self.closed = False
        self.out = bytearray()
        self.piped = 0
        self._pipe: tuple[int, int] | None = None
        self._reading = False
        self._writing = False
        self._paused = False
        self._closing = False
        self._buffer = memoryview(bytearray(READ_FIRST))

    # -- reading -------------------------------------------------------------

    def hold(self, reason: int, on: bool) -> None:
        self.holds = self.holds | reason if on else self.holds & ~reason
        want = not self.holds and not self.closed and not self._closing
        if want and not self._reading:
            self.loop.add_reader(self.fd, self._read_ready)
            self._reading = True
        elif not want and self._reading:
            self.loop.remove_reader(self.fd)
            self._reading = False

    def _read_ready(self) -> None:
        link = self.reader
        if _splice_works and link.pump is None and not link.chain and not link.finished:
            moved = link.destination.splice_from(self)
            if moved is not None:
                if moved == 0:
                    self._ended()
                return
        try:
            nbytes = self.sock.recv_into(self._buffer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._ended()
            return
        if nbytes == 0:
            self._ended()
            return
        buffer = self._buffer
        link.feed(buffer[:nbytes])
        if nbytes == len(buffer) < READ_MOST:
            self._buffer = memoryview(bytearray(READ_MOST))

    def _ended(self) -> None:
        self.hold(HOLD_ENDED, True)
        self.reader.feed_eof()

    # -- writing -------------------------------------------------------------

    def write(self, data: bytes | memoryview) -> None:
        """Send `data` after whatever is already waiting; never blocks."""
        if self.closed or not data:
            return
        if not self.out and not self.piped:
            try:
                sent = self.sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._broken()
                return
            if sent == len(data):
                return
            data = data[sent:]
        self.out += data  # copied: the caller may reuse its buffer
        self._want_writable()
        self._pressure()

    def splice_from(self, source: Side) -> int | None:
        """Move bytes from `source` into this socket through the kernel.

        Returns the bytes moved (0 at the end of the stream, -1 when nothing
        was ready), or None when the caller should read the ordinary way.
        """
        global _splice_works
        if self.out or self.piped or self.closed:
            return None
        pipe = self._pipe
        if pipe is None:
            try:
                pipe = self._open_pipe()
            except OSError:
                return None  # out of descriptors for now: copy this chunk instead
        try:
            moved = os.splice(source.fd, pipe[1], PIPE_SIZE, flags=_SPLICE_FLAGS)
        except (BlockingIOError, InterruptedError):
            return -1
        except OSError as exc:
            if exc.errno in _SPLICE_REFUSED:
                _splice_works = False
                logger.info("splice(2) refused (%s); copying through Python from now on", exc)
                return None
            return 0  # the source failed: treat it as its end
        if moved:
            self.piped += moved
            self._flush()
        return moved

    def _open_pipe(self) -> tuple[int, int]:
        read_end, write_end = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        except (OSError, AttributeError):
            pass  # the default pipe size only means more, smaller splices
        self._pipe = (read_end, write_end)
        return self._pipe

    def _flush(self) -> None:
        """Write what waits (pipe first, then `out`) until the socket is full."""
        try:
            while self.piped:
                moved = os.splice(self._pipe[0], self.fd, self.piped, flags=_SPLICE_FLAGS)  # type: ignore[index]
                if not moved:
                    raise BrokenPipeError("splice moved nothing")
                self.piped -= moved
            while self.out:
                sent = self.sock.send(self.out)
                del self.out[:sent]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self._broken()
            return
        if self.piped or self.out:
            self._want_writable()
        else:
            if self._writing:
                self.loop.remove_writer(self.fd)
                self._writing = False
            if self._closing:
                self._finalize()
                return
        self._pressure()

    def _want_writable(self) -> None:
        if not self._writing and not self.closed:
            self.loop.add_writer(self.fd, self._flush)
            self._writing = True

    def _pressure(self) -> None:
        waiting = self.piped + len(self.out)
        if not self._paused and (self.piped or waiting > WRITE_HIGH):
            self._paused = True
            self.writer.destination_paused()
        elif self._paused and not self.piped and waiting <= WRITE_LOW:
            self._paused = False
            self.writer.destination_resumed()

    # -- the end -------------------------------------------------------------

    def close(self) -> None:
        """Close once what waits has been written (Go's Close after a flush)."""
        if self.closed or self._closing:
            return
        self._closing = True
        self.hold(HOLD_ENDED, True)
        if not self.piped and not self.out:
            self._finalize()

    def abort(self) -> None:
        """Close now, dropping whatever waits."""
        self._finalize()

    def _broken(self) -> None:
        self.out.clear()
        self.piped = 0
        self._finalize()

    def _finalize(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._reading:
            self.loop.remove_reader(self.fd)
            self._reading = False
        if self._writing:
            self.loop.remove_writer(self.fd)
            self._writing = False
        self.sock.close()
        if self._pipe is not None:
            for fd in self._pipe:
                os.close(fd)
            self._pipe = None
        self.out = bytearray()
        self.connection.side_closed(self)

    def set_linger_zero(self) -> None:
        """Make the coming close an RST, as Go does for links with reset_peer."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
        except OSError:
            pass
