"""A Toxiproxy-compatible fault proxy, embedded, and a client for any Toxiproxy.

Layering, bottom up (each module imports only those above it in this list):

    _errors, _gojson, _address   error type, Go-like JSON decoding, host:port
    _toxics                      what a toxic is (types, attributes, JSON form)
    _effects                     what each toxic does to a link's bytes
    _side                        one socket, read and written from the loop (splice)
    _link                        one connection: two sockets, two links
    _proxy, _collection          listeners, toxic chains, the set of proxies
    _http, _api                  HTTP framing, then the API's routes
    _server                      serve() and EmbeddedServer
    client                       ToxiproxyClient, over toxiproxy-python

Everything but `client` uses the standard library only, and imports within
this package are relative, so the server runs in a fleet container that has
nothing but python3 (`python -m chaos.toxiproxy --listen 0.0.0.0:8474`).
`client` needs toxiproxy-python and is imported only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._api import VERSION
from ._errors import ListenError
from ._server import DEFAULT_LISTEN, EmbeddedServer, serve

if TYPE_CHECKING:
    from .client import ProxyInfo, ToxicInfo, ToxiproxyClient, ToxiproxyError

__all__ = [
    "DEFAULT_LISTEN",
    "VERSION",
    "EmbeddedServer",
    "ListenError",
    "ProxyInfo",
    "ToxicInfo",
    "ToxiproxyClient",
    "ToxiproxyError",
    "serve",
]

_CLIENT_NAMES = {"ProxyInfo", "ToxicInfo", "ToxiproxyClient", "ToxiproxyError"}


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
