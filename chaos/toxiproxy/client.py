"""ToxiproxyClient: one Toxiproxy server (Go or embedded), safe from any thread.

toxiproxy-python is the project's client library, but it was archived with
two traits a harness cannot live with: the server address is a class
attribute of `toxiproxy.api.APIConsumer` (one per process, so two clients
for two servers would cross wires), and it calls `requests` with no timeout
(so a wedged server hangs the run). This adapter keeps the package for the
calls it has, and around each of them:

- holds one process-wide lock (bounded wait), so package calls of different
  clients never overlap;
- swaps `toxiproxy.api.requests` for a stand-in that sends the calling
  thread's requests to this client's server, whatever `APIConsumer.host/port`
  say (they are never touched, so code that uses the package directly is not
  redirected), with a timeout, and turns any status >= 400 into a
  ToxiproxyError carrying the server's own message (the package ignores 5xx
  and hides the message);
- puts the real `requests` back when the call ends.

Operations the package lacks (proxy and toxic update, show, populate,
version) go over urllib with the same timeout and the same errors.

    ToxiproxyError            base; one line: server URL, operation, what happened
    +-- ToxiproxyUnreachable  no answer: refused, reset, or timed out
    +-- ToxiproxyBadRequest   400: the server refused the request's content
    +-- ToxiproxyNotFound     404: no such proxy or toxic
    +-- ToxiproxyConflict     409: the name is taken
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests
import toxiproxy.api as _package_api
from toxiproxy import Proxy as _PackageProxy
from toxiproxy import Toxiproxy as _PackageServer
from toxiproxy.exceptions import ProxyExists

from chaos.errors import EnvironmentFailure

__all__ = [
    "ProxyInfo",
    "ToxicInfo",
    "ToxiproxyBadRequest",
    "ToxiproxyClient",
    "ToxiproxyConflict",
    "ToxiproxyError",
    "ToxiproxyNotFound",
    "ToxiproxyUnreachable",
]

# toxiproxy-python's globals are shared by every thread of the process.
_PACKAGE_LOCK = threading.RLock()
# How long a call waits for another thread's package call to finish; each of
# those is itself bounded by its client's timeout per request.
LOCK_WAIT = 60.0
_REAL_REQUESTS = _package_api.requests
_NAME_UNSAFE = set("/?#%")


class ToxiproxyError(EnvironmentFailure):
    """A Toxiproxy API call failed; the message is one line naming server, operation and cause."""

    def __init__(self, *, url: str, operation: str, message: str, status: int | None = None) -> None:
        shown = f"HTTP {status}: {message}" if status is not None else message
        super().__init__(" ".join(f"toxiproxy at {url}: {operation} failed: {shown}".split()))
        self.url, self.operation, self.status, self.server_message = url, operation, status, message


class ToxiproxyUnreachable(ToxiproxyError):
    """The server did not answer (refused, reset, or no answer within the timeout)."""


class ToxiproxyBadRequest(ToxiproxyError):
    """The server answered 400."""


class ToxiproxyNotFound(ToxiproxyError):
    """The server answered 404: no such proxy or toxic."""


class ToxiproxyConflict(ToxiproxyError):
    """The server answered 409: a proxy or toxic of that name exists."""


_BY_STATUS: dict[int, type[ToxiproxyError]] = {400: ToxiproxyBadRequest, 404: ToxiproxyNotFound, 409: ToxiproxyConflict}


@dataclass(frozen=True)
class ToxicInfo:
    """A toxic as the server reported it."""

    name: str
    type: str
    stream: str
    toxicity: float
    attributes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToxicInfo:
        return cls(
            name=data["name"],
            type=data["type"],
            stream=data.get("stream", "downstream"),
            toxicity=float(data.get("toxicity", 1.0)),
            attributes=dict(data.get("attributes") or {}),
        )


@dataclass(frozen=True)
class ProxyInfo:
    """A proxy as the server reported it; `toxics` upstream first, then downstream."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[ToxicInfo, ...] = ()

    @property
    def listen_port(self) -> int:
        """The port of `listen` (the real one once the proxy has listened)."""
        _, _, port = self.listen.rpartition(":")
        if not port.isdigit():
            raise ValueError(f"expected listen as HOST:PORT, got listen={self.listen!r} for proxy {self.name!r}")
        return int(port)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProxyInfo:
        return cls(
            name=data["name"],
            listen=data.get("listen", ""),
            upstream=data.get("upstream", ""),
            enabled=bool(data.get("enabled")),
            toxics=tuple(ToxicInfo.from_json(t) for t in data.get("toxics") or ()),
        )


class _RoutedRequests:
    """Stands in for `requests` inside toxiproxy.api for the length of one call."""

    def __init__(self, client: ToxiproxyClient, operation: str) -> None:
        self._client = client
        self._operation = operation
        self._owner = threading.get_ident()
        self.last: requests.Response | None = None

    def get(self, url: str, params: Any = None, **kwargs: Any) -> requests.Response:
        return self._send("GET", url, params=params, **kwargs)

    def post(self, url: str, data: Any = None, json: Any = None, **kwargs: Any) -> requests.Response:
        return self._send("POST", url, data=data, json=json, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> requests.Response:
        return self._send("DELETE", url, **kwargs)

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        if threading.get_ident() != self._owner:
            # Someone using the package directly from another thread meanwhile:
            # leave their request alone.
            return _REAL_REQUESTS.request(method, url, **kwargs)
        parts = urlsplit(url)
        target = self._client.url + parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            response = _REAL_REQUESTS.request(
                method, target, timeout=self._client.timeout, proxies={"http": None, "https": None}, **kwargs
            )
        except requests.Timeout:
            raise self._client._unreachable(self._operation, f"no answer within {self._client.timeout} s") from None
        except requests.RequestException as exc:
            raise self._client._unreachable(self._operation, _reason(exc)) from None
        if response.status_code >= 400:
            raise self._client._refused(self._operation, response.status_code, response.content)
        self.last = response
        return response


def _reason(exc: BaseException) -> str:
    """The innermost useful words of a connection error."""
    inner: BaseException = exc
    while True:
        nxt = getattr(inner, "reason", None) or inner.__cause__ or inner.__context__
        if not isinstance(nxt, BaseException) or nxt is inner:
            break
        inner = nxt
    return (str(inner) or type(inner).__name__).splitlines()[0]


class ToxiproxyClient:
    """A client for one Toxiproxy server; use one per server, from any thread.

        client = ToxiproxyClient("http://127.0.0.1:8474", timeout=5.0)
        proxy = client.create_proxy("web-1", upstream="10.0.0.5:80")
        client.add_toxic("web-1", type="latency", attributes={"latency": 300})

    | option  | default | meaning                                          |
    | ------- | ------- | ------------------------------------------------ |
    | timeout | 5.0     | seconds allowed for each HTTP request (connect and each read) |
    """

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise ValueError(f"expected a Toxiproxy URL like http://HOST:PORT, got url={url!r}")
        if not timeout > 0:
            raise ValueError(f"expected a timeout above 0 seconds, got timeout={timeout!r}")
        self.url = f"http://{parts.netloc}"
        self.timeout = float(timeout)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __repr__(self) -> str:
        return f"ToxiproxyClient({self.url!r}, timeout={self.timeout})"

    # -- server ------------------------------------------------------------

    def version(self) -> str:
        """The server's version string, e.g. "2.12.0"."""
        return str(self._http("GET", "/version", operation="read version")["version"])

    def wait_until_ready(self, *, timeout: float = 10.0, interval: float = 0.05) -> str:
        """Poll /version until the server answers; ToxiproxyUnreachable at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.version()
            except ToxiproxyUnreachable as exc:
                if time.monotonic() + interval > deadline:
                    raise self._unreachable(
                        f"wait {timeout} s for the server", f"still no answer; last: {exc.server_message}"
                    ) from None
            time.sleep(interval)

    def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        with self._package("reset the server"):
            _PackageServer().reset()

    def populate(self, proxies: Iterable[Mapping[str, Any]]) -> list[ProxyInfo]:
        """Create or replace proxies in one server-side call (POST /populate)."""
        body = [dict(proxy) for proxy in proxies]
        answer = self._http("POST", "/populate", body, operation=f"populate {len(body)} proxies")
        return [ProxyInfo.from_json(p) for p in answer.get("proxies") or ()]

    # -- proxies -----------------------------------------------------------

    def proxies(self) -> dict[str, ProxyInfo]:
        """Every proxy, by name."""
        with self._package("list proxies") as routed:
            _PackageServer().proxies()
        return {name: ProxyInfo.from_json(data) for name, data in _json_of(routed).items()}

    def get_proxy(self, name: str) -> ProxyInfo:
        return ProxyInfo.from_json(self._http("GET", f"/proxies/{_segment(name)}", operation=f"read proxy {name!r}"))

    def create_proxy(self, name: str, *, upstream: str, listen: str = "127.0.0.1:0", enabled: bool = True) -> ProxyInfo:
        """Create a proxy; with the default listen it gets a free port on 127.0.0.1."""
        _check_name(name, "proxy")
        with self._package(f"create proxy {name!r}") as routed:
            _PackageServer().create(upstream=upstream, name=name, listen=listen, enabled=enabled)
        return ProxyInfo.from_json(_json_of(routed))

    def update_proxy(
        self, name: str, *, listen: str | None = None, upstream: str | None = None, enabled: bool | None = None
    ) -> ProxyInfo:
        """Change listen, upstream or enabled; a listen or upstream change drops live connections."""
        body = {key: value for key, value in (("listen", listen), ("upstream", upstream), ("enabled", enabled)) if value is not None}
        answer = self._http("POST", f"/proxies/{_segment(name)}", body, operation=f"update proxy {name!r}")
        return ProxyInfo.from_json(answer)

    def enable_proxy(self, name: str) -> ProxyInfo:
        """Listen again, on the same address as before."""
        _check_name(name, "proxy")
        with self._package(f"enable proxy {name!r}") as routed:
            _package_proxy(name).enable()
        return ProxyInfo.from_json(_json_of(routed))

    def disable_proxy(self, name: str) -> ProxyInfo:
        """Stop listening and drop every live connection."""
        _check_name(name, "proxy")
        with self._package(f"disable proxy {name!r}") as routed:
            _package_proxy(name).disable()
        return ProxyInfo.from_json(_json_of(routed))

    def delete_proxy(self, name: str) -> None:
        _check_name(name, "proxy")
        with self._package(f"delete proxy {name!r}"):
            _package_proxy(name).destroy()

    def delete_all_proxies(self) -> None:
        with self._package("delete every proxy"):
            _PackageServer().destroy_all()

    # -- toxics ------------------------------------------------------------

    def toxics(self, proxy: str) -> list[ToxicInfo]:
        """The proxy's toxics, upstream ones first, each stream in the order added."""
        _check_name(proxy, "proxy")
        with self._package(f"list toxics of proxy {proxy!r}") as routed:
            _package_proxy(proxy).toxics()
        return [ToxicInfo.from_json(t) for t in _json_of(routed)]

    def get_toxic(self, proxy: str, name: str) -> ToxicInfo:
        path = f"/proxies/{_segment(proxy)}/toxics/{_segment(name)}"
        return ToxicInfo.from_json(self._http("GET", path, operation=f"read toxic {name!r} of proxy {proxy!r}"))

    def add_toxic(
        self,
        proxy: str,
        *,
        type: str,
        name: str | None = None,
        stream: str = "downstream",
        toxicity: float = 1.0,
        attributes: Mapping[str, int] | None = None,
    ) -> ToxicInfo:
        """Add a toxic; it acts at once on live connections too. Name defaults to TYPE_STREAM."""
        _check_name(proxy, "proxy")
        shown = name or f"{type}_{stream}"
        with self._package(f"add toxic {shown!r} to proxy {proxy!r}") as routed:
            _package_proxy(proxy).add_toxic(
                type=type, name=shown, stream=stream, toxicity=toxicity, attributes=dict(attributes or {})
            )
        return ToxicInfo.from_json(_json_of(routed))

    def update_toxic(
        self, proxy: str, name: str, *, attributes: Mapping[str, int] | None = None, toxicity: float | None = None
    ) -> ToxicInfo:
        """Merge `attributes` into the toxic's and/or replace its toxicity."""
        body: dict[str, Any] = {}
        if attributes is not None:
            body["attributes"] = dict(attributes)
        if toxicity is not None:
            body["toxicity"] = toxicity
        path = f"/proxies/{_segment(proxy)}/toxics/{_segment(name)}"
        return ToxicInfo.from_json(self._http("POST", path, body, operation=f"update toxic {name!r} of proxy {proxy!r}"))

    def delete_toxic(self, proxy: str, name: str) -> None:
        _check_name(proxy, "proxy")
        _check_name(name, "toxic")
        with self._package(f"delete toxic {name!r} of proxy {proxy!r}"):
            _package_proxy(proxy).destroy_toxic(name)

    # -- transport ---------------------------------------------------------

    @contextmanager
    def _package(self, operation: str) -> Iterator[_RoutedRequests]:
        """Run a toxiproxy-python call against this server, alone, with timeouts."""
        routed = _RoutedRequests(self, operation)
        if not _PACKAGE_LOCK.acquire(timeout=LOCK_WAIT):
            raise self._unreachable(operation, f"another thread held toxiproxy-python for over {LOCK_WAIT} s")
        try:
            saved = _package_api.requests
            _package_api.requests = routed  # type: ignore[assignment]
            try:
                yield routed
            except ProxyExists as exc:
                # Raised by the package itself (create checks the list first);
                # the server's 4xx answers never reach it, `routed` raises them.
                raise ToxiproxyConflict(url=self.url, operation=operation, message=_text(exc), status=409) from None
            finally:
                _package_api.requests = saved
        finally:
            _PACKAGE_LOCK.release()

    def _http(self, method: str, path: str, body: object = None, *, operation: str) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                content = response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                raise self._refused(operation, exc.code, exc.read()) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
                raise self._unreachable(operation, f"no answer within {self.timeout} s") from None
            raise self._unreachable(operation, _reason(exc)) from None
        if not content:
            return {}
        try:
            return json.loads(content)
        except ValueError:
            raise self._unreachable(operation, f"answer is not JSON: {content[:80]!r}") from None

    def _unreachable(self, operation: str, reason: str) -> ToxiproxyUnreachable:
        return ToxiproxyUnreachable(url=self.url, operation=operation, message=reason)

    def _refused(self, operation: str, status: int, content: bytes) -> ToxiproxyError:
        message = content.decode("utf-8", "replace").strip()
        try:
            message = str(json.loads(message)["error"])
        except (ValueError, KeyError, TypeError):
            pass
        kind = _BY_STATUS.get(status, ToxiproxyError)
        return kind(url=self.url, operation=operation, message=message[:300] or "(empty answer)", status=status)


def _package_proxy(name: str) -> _PackageProxy:
    return _PackageProxy(name=name, upstream="", enabled=True, listen="")


def _json_of(routed: _RoutedRequests) -> Any:
    assert routed.last is not None, "toxiproxy-python made no request"
    return routed.last.json()


def _text(exc: BaseException) -> str:
    value = exc.args[0] if exc.args else ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _check_name(name: str, what: str) -> None:
    if not name or _NAME_UNSAFE & set(name):
        raise ValueError(f"expected a {what} name without '/', '?', '#' or '%', got {name!r}")


def _segment(name: str) -> str:
    return quote(name, safe="")
