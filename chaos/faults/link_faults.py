"""Network faults on links: toxics on the proxies of selected nodes.

Each kind maps onto a Toxiproxy toxic; `blackhole` is the `timeout` toxic
with no timeout (connections hang and carry nothing). Healing removes the
toxics and then reads them back from the proxy server, so a heal that did
not take is reported rather than assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaos.errors import EnvironmentFailure, UsageError
from chaos.fleet.fleet import Fleet

# kind -> (toxic type, default attributes)
LINK_FAULTS: dict[str, tuple[str, dict[str, int]]] = {
    "latency": ("latency", {"latency": 1000, "jitter": 0}),
    "bandwidth": ("bandwidth", {"rate": 10}),
    "slicer": ("slicer", {"average_size": 64, "size_variation": 0, "delay": 10}),
    "reset_peer": ("reset_peer", {"timeout": 0}),
    "limit_data": ("limit_data", {"bytes": 0}),
    "blackhole": ("timeout", {"timeout": 0}),
}
STREAMS = ("downstream", "upstream", "both")


def link_proxies(fleet: Fleet, nodes: list[str], *, target: str | None, fault: str) -> list[str]:
    """The proxies of these nodes' links (towards `target`); UsageError naming `fault` when there are none."""
    found = fleet.links.proxies(nodes, target=target)
    if not found:
        raise UsageError(f"fault {fault}: no link proxies for nodes {', '.join(nodes)}"
                         + (f" towards {target}" if target else "")
                         + f" (links: {', '.join(fleet.links.targets()) or 'none declared'})")
    return found


@dataclass
class LinkFault:
    """One toxic, added to the link proxies of some nodes."""

    kind: str
    nodes: list[str]
    link: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    healed: bool = field(default=False, init=False)
    _placed: list[tuple[str, str]] = field(default_factory=list, init=False)  # (proxy, toxic name)

    def toxic(self) -> tuple[str, dict[str, int], list[str], float]:
        """Toxic type, attributes, streams and toxicity; UsageError for a parameter it cannot honour."""
        if self.kind not in LINK_FAULTS:
            raise UsageError(f"expected a link fault among {', '.join(LINK_FAULTS)}, found {self.kind!r}")
        toxic_type, defaults = LINK_FAULTS[self.kind]
        attributes = dict(defaults)
        for key, value in self.params.items():
            if key in attributes:
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise UsageError(f"fault {self.kind}: expected {key} a whole number >= 0, found {value!r}")
                attributes[key] = value
            elif key not in ("stream", "toxicity"):
                raise UsageError(f"fault {self.kind}: expected parameters among "
                                 f"{', '.join([*defaults, 'stream', 'toxicity'])}, found {key!r}")
        stream = self.params.get("stream", "downstream")
        if stream not in STREAMS:
            raise UsageError(f"fault {self.kind}: expected stream among {', '.join(STREAMS)}, found {stream!r}")
        streams = ["downstream", "upstream"] if stream == "both" else [stream]
        toxicity = float(self.params.get("toxicity", 1.0))
        return toxic_type, attributes, streams, toxicity

    def proxies(self, fleet: Fleet) -> list[str]:
        return link_proxies(fleet, self.nodes, target=self.link, fault=self.kind)

    def apply(self, fleet: Fleet) -> None:
        toxic_type, attributes, streams, toxicity = self.toxic()
        client = fleet.proxy_client()
        for proxy in self.proxies(fleet):
            for stream in streams:
                name = f"chaos-{self.kind}-{stream}"
                client.add_toxic(proxy, type=toxic_type, name=name, stream=stream, toxicity=toxicity,
                                 attributes=attributes)
                self._placed.append((proxy, name))

    def heal(self, fleet: Fleet, *, deadline: float = 0.0) -> None:
        """Remove the toxics and read them back; nothing to wait for (`deadline`, for the Fault protocol)."""
        if self.healed:
            return
        client = fleet.proxy_client()
        placed: dict[str, set[str]] = {}
        for proxy, name in self._placed:
            placed.setdefault(proxy, set()).add(name)
        for proxy, names in placed.items():
            for name in names & {t.name for t in client.toxics(proxy)}:
                client.delete_toxic(proxy, name)
        left = [f"{proxy}/{name}" for proxy, names in placed.items()
                for name in sorted(names & {t.name for t in client.toxics(proxy)})]
        if left:
            raise EnvironmentFailure(f"healing {self.kind}: toxics still present after removal: {', '.join(left)}")
        self.healed = True
