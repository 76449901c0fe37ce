"""Every proxy of one server, and the operations that span them.

All changes go through one asyncio lock, the counterpart of Go's mutex: an
API call that awaits a bind or a name lookup must not interleave with
another call that changes the same proxies.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from . import _address
from ._errors import ApiError
from ._proxy import Proxy
from ._toxics import Toxic, new_toxic


@dataclass
class ProxySpec:
    """A proxy as a client describes it in a create or populate body."""

    name: str
    listen: str
    upstream: str
    enabled: bool = True


class PopulateError(ApiError):
    """A populate that stopped part-way; `done` are the proxies handled before."""

    def __init__(self, error: ApiError, done: list[Proxy]) -> None:
        super().__init__(error.status, error.message)
        self.done = done


class ProxyCollection:
    def __init__(self) -> None:
        self.proxies: dict[str, Proxy] = {}
        self.lock = asyncio.Lock()

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise ApiError(404, "proxy not found")
        return proxy

    def get_toxic(self, proxy: Proxy, name: str) -> Toxic:
        toxic = proxy.find_toxic(name)
        if toxic is None:
            raise ApiError(404, "toxic not found")
        return toxic

    async def create(self, spec: ProxySpec) -> Proxy:
        async with self.lock:
            if spec.name in self.proxies:
                raise ApiError(409, "proxy already exists")
            proxy = Proxy(name=spec.name, listen=spec.listen, upstream=spec.upstream)
            if spec.enabled:
                await proxy.start()
            self.proxies[spec.name] = proxy
            return proxy

    async def update(self, proxy: Proxy, *, listen: str, upstream: str, enabled: bool) -> None:
        async with self.lock:
            await proxy.update(listen=listen, upstream=upstream, enabled=enabled)

    async def delete(self, name: str) -> None:
        async with self.lock:
            proxy = self.get(name)
            proxy.stop()
            del self.proxies[name]

    async def populate(self, specs: list[ProxySpec]) -> list[Proxy]:
        """Create or replace each proxy in order; PopulateError at the first failure."""
        done: list[Proxy] = []
        async with self.lock:
            for spec in specs:
                try:
                    done.append(await self._create_or_replace(spec))
                except ApiError as exc:
                    raise PopulateError(exc, done) from None
        return done

    async def _create_or_replace(self, spec: ProxySpec) -> Proxy:
        existing = self.proxies.get(spec.name)
        if existing is not None:
            resolved = await _address.resolved_text(spec.listen)
            if resolved == existing.listen and spec.upstream == existing.upstream:
                return existing
            # Left stopped and registered if the replacement fails, as in Go.
            existing.stop()
        proxy = Proxy(name=spec.name, listen=spec.listen, upstream=spec.upstream)
        if spec.enabled:
            await proxy.start()
        self.proxies[spec.name] = proxy
        return proxy

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic; live connections stay."""
        async with self.lock:
            for name in sorted(self.proxies):
                proxy = self.proxies[name]
                if not proxy.enabled:
                    await proxy.start()
                proxy.remove_all_toxics()

    async def add_toxic(
        self, proxy: Proxy, *, name: str, toxic_type: str, stream: str, toxicity: float, attributes: dict[str, int]
    ) -> Toxic:
        async with self.lock:
            if proxy.find_toxic(name) is not None:
                raise ApiError(409, "toxic already exists")
            toxic = new_toxic(name=name, toxic_type=toxic_type, stream=stream, toxicity=toxicity, attributes=attributes)
            proxy.add_toxic(toxic)
            return toxic

    async def update_toxic(self, proxy: Proxy, toxic: Toxic, *, attributes: dict[str, int], toxicity: float | None) -> None:
        async with self.lock:
            proxy.update_toxic(toxic, attributes=attributes, toxicity=toxicity)

    async def remove_toxic(self, proxy: Proxy, toxic: Toxic) -> None:
        async with self.lock:
            if proxy.find_toxic(toxic.name) is toxic:
                proxy.remove_toxic(toxic)

    def close(self) -> None:
        """Stop every proxy; used when the server shuts down."""
        for proxy in self.proxies.values():
            proxy.stop()
