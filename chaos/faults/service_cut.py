"""A service nobody can reach (the control plane, typically), four ways.

    blackhole   the selected nodes' proxies to it hang: connections open, nothing moves
    refuse      the selected nodes' proxies to it are disabled: connections are refused
    pause       the service's containers are paused (every node loses it)
    partition   the service's containers leave the fleet network (every node loses it);
                healing reconnects them under their names and service alias

Healing is verified: proxies read back clean and enabled, containers
running, connected and healthy again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docker.errors import APIError

from chaos.errors import EnvironmentFailure, UsageError
from chaos.faults.link_faults import LinkFault, link_proxies
from chaos.fleet.fleet import Fleet

CUT_MODES = ("blackhole", "refuse", "pause", "partition")
HEAL_DEADLINE = 60.0


@dataclass
class ServiceCut:
    """Make `service` unreachable for `nodes` (blackhole, refuse) or for everyone (pause, partition)."""

    service: str
    mode: str
    nodes: list[str]
    kind: str = "control_plane_unreachable"
    healed: bool = field(default=False, init=False)
    _blackhole: LinkFault | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.mode not in CUT_MODES:
            raise UsageError(f"fault {self.kind}: expected mode among {', '.join(CUT_MODES)}, found {self.mode!r}")

    def _containers(self, fleet: Fleet) -> list:
        nodes = fleet.service_nodes(self.service)
        if not nodes:
            raise UsageError(f"fault {self.kind}: the fleet has no service {self.service!r}")
        return nodes

    def apply(self, fleet: Fleet) -> None:
        api = fleet.client.api
        try:
            if self.mode == "blackhole":
                self._blackhole = LinkFault("blackhole", self.nodes, link=self.service)
                self._blackhole.apply(fleet)
            elif self.mode == "refuse":
                client = fleet.proxy_client()
                for proxy in link_proxies(fleet, self.nodes, target=self.service, fault=self.kind):
                    client.disable_proxy(proxy)
            elif self.mode == "pause":
                for node in self._containers(fleet):
                    api.pause(node.container)
            else:
                for node in self._containers(fleet):
                    api.disconnect_container_from_network(node.container, fleet.network, force=True)
        except APIError as exc:
            raise EnvironmentFailure(f"fault {self.kind} ({self.mode}) on {self.service}: {exc.explanation}") from None

    def heal(self, fleet: Fleet, *, deadline: float = HEAL_DEADLINE) -> None:
        if self.healed:
            return
        api = fleet.client.api
        try:
            if self.mode == "blackhole" and self._blackhole is not None:
                self._blackhole.heal(fleet)
            elif self.mode == "refuse":
                client = fleet.proxy_client()
                proxies = link_proxies(fleet, self.nodes, target=self.service, fault=self.kind)
                for proxy in proxies:
                    client.enable_proxy(proxy)
                still = [p for p in proxies if not client.get_proxy(p).enabled]
                if still:
                    raise EnvironmentFailure(f"healing refuse: proxies still disabled: {', '.join(still)}")
            elif self.mode == "pause":
                for node in self._containers(fleet):
                    if api.inspect_container(node.container)["State"].get("Paused"):
                        api.unpause(node.container)
            else:
                for node in self._containers(fleet):
                    networks = api.inspect_container(node.container)["NetworkSettings"]["Networks"]
                    if fleet.network not in networks:
                        api.connect_container_to_network(node.container, fleet.network,
                                                         aliases=[node.service, node.name])
                    fleet.refresh_ports(node)
        except APIError as exc:
            raise EnvironmentFailure(f"healing {self.kind} ({self.mode}) on {self.service}: {exc.explanation}") from None
        if self.mode in ("pause", "partition"):
            fleet.wait_healthy(nodes=[n.name for n in self._containers(fleet)], deadline=deadline)
        self.healed = True
