"""Links: one proxy per node per link, so a fault can hit some nodes and spare the rest.

For a link `edge -> controlplane`, node edge-3 gets a proxy named
`edge-3--controlplane` in the fleet's proxy node, listening on a port of its
own and forwarding to the target service; edge-3's address variable
(CONTROL_PLANE_URL, say) points at that proxy instead of the target.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.fleet.compose import PROXY_SERVICE, FleetSpec, LinkSpec

FIRST_LISTEN_PORT = 20000


@dataclass(frozen=True)
class NodeLink:
    """The proxy that carries one node's traffic to one target service."""

    node: str
    target: str
    proxy: str
    listen_port: int
    upstream: str
    env: str
    url: str

    def as_populate(self) -> dict[str, object]:
        return {"name": self.proxy, "listen": f"0.0.0.0:{self.listen_port}", "upstream": self.upstream, "enabled": True}


class LinkTable:
    """Every node link of a fleet."""

    def __init__(self, spec: FleetSpec, nodes_by_service: dict[str, list[str]]) -> None:
        self.links: list[NodeLink] = []
        port = FIRST_LISTEN_PORT
        for link in spec.links:
            for node in nodes_by_service.get(link.source, []):
                self.links.append(self._node_link(link, node, port))
                port += 1

    @staticmethod
    def _node_link(link: LinkSpec, node: str, port: int) -> NodeLink:
        return NodeLink(node=node, target=link.target, proxy=f"{node}--{link.target}", listen_port=port,
                        upstream=f"{link.target}:{link.port}", env=link.env,
                        url=link.url.format(address=f"{PROXY_SERVICE}:{port}"))

    def env_for(self, node: str) -> dict[str, str]:
        """The environment that points a node at its own proxies."""
        return {link.env: link.url for link in self.links if link.node == node}

    def proxies(self, nodes: list[str], *, target: str | None = None) -> list[str]:
        """Proxy names of these nodes' links (to one target, or all)."""
        chosen = set(nodes)
        return [link.proxy for link in self.links if link.node in chosen and (target is None or link.target == target)]

    def targets(self) -> list[str]:
        return sorted({link.target for link in self.links})

    def __bool__(self) -> bool:
        return bool(self.links)
