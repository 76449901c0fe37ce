"""`host:port` text, parsed, resolved and written the way Go's net package does.

Proxies keep their listen address as text: as the client sent it while they
have never listened, and as the bound `ip:port` once they have. Whether an
update "differs" is decided by comparing resolved text, so parsing and
formatting must agree exactly with what a later bind reports.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket

from ._errors import ApiError

_DIGITS = re.compile(r"[0-9]+")


class AddressError(ValueError):
    """Text that is not a usable `host:port`; the message follows Go's wording."""


def split_host_port(text: str) -> tuple[str, str]:
    """Split `host:port`, `[v6]:port` or `:port`, as Go's net.SplitHostPort."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise AddressError(f"address {text}: missing ']' in address")
        host, rest = text[1:end], text[end + 1 :]
        if not rest.startswith(":"):
            raise AddressError(f"address {text}: missing port in address")
        port = rest[1:]
        if ":" in port:
            raise AddressError(f"address {text}: too many colons in address")
        return host, port
    if ":" not in text:
        raise AddressError(f"address {text}: missing port in address")
    host, _, port = text.rpartition(":")
    if ":" in host:
        raise AddressError(f"address {text}: too many colons in address")
    if "[" in host or "]" in host or "[" in port or "]" in port:
        raise AddressError(f"address {text}: unexpected bracket in address")
    return host, port


def parse_port(port: str) -> int:
    """A decimal port or a service name from /etc/services."""
    if _DIGITS.fullmatch(port):
        number = int(port)
        if number > 65535:
            raise AddressError(f"address {port}: invalid port")
        return number
    if port == "":
        return 0
    try:
        return socket.getservbyname(port, "tcp")
    except (OSError, UnicodeError, ValueError):
        raise AddressError(f"lookup tcp/{port}: unknown port") from None


def parse_address(text: str) -> tuple[str, int]:
    """Split `host:port` and read the port, without resolving the host."""
    host, port = split_host_port(text)
    return host, parse_port(port)


def format_address(host: str, port: int) -> str:
    """`ip:port`, with brackets around IPv6, as Go writes a TCPAddr."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def _literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        return None


async def resolve(text: str) -> tuple[str, int]:
    """Resolve `host:port` to (ip, port), IPv4 first; `""` means every interface, port 0."""
    if text == "":
        return "", 0
    host, port = parse_address(text)
    if host == "":
        return "", port
    literal = _literal_ip(host)
    if literal is not None:
        return literal, port
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        raise AddressError(f"lookup {host}: no such host") from None
    addresses = [info[4][0] for info in infos if info[0] == socket.AF_INET]
    addresses += [info[4][0] for info in infos if info[0] == socket.AF_INET6]
    if not addresses:
        raise AddressError(f"lookup {host}: no such host")
    return str(addresses[0]), port


async def resolved_text(text: str) -> str:
    """The text a bind of `text` would be compared with; ApiError 500 if it cannot resolve."""
    try:
        host, port = await resolve(text)
    except AddressError as exc:
        raise ApiError(500, str(exc)) from None
    return format_address(host, port)


async def bind(text: str) -> socket.socket:
    """A bound (not yet listening) TCP socket for `text`; ApiError 500 with Go's wording if not."""
    try:
        host, port = await resolve(text)
    except AddressError as exc:
        raise ApiError(500, f"listen tcp: {exc}") from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    bind_host = host or "0.0.0.0"
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Go sets SO_REUSEADDR on listeners: a disabled proxy can take its port
        # back while old connections sit in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((bind_host, port))
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        raise ApiError(500, f"listen tcp {format_address(bind_host, port)}: bind: {reason}") from None
    return sock


def bound_text(sock: socket.socket) -> str:
    """The `ip:port` a bound socket reports."""
    address = sock.getsockname()
    return format_address(address[0], address[1])
