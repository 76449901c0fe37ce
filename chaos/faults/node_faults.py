"""Node faults: kill, pause, restart, disconnect; each healed and the heal verified.

A heal is not assumed: after undoing the fault the harness waits, bounded,
until the nodes answer their health endpoint again, and says which did not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docker.errors import APIError, NotFound

from chaos.errors import EnvironmentFailure
from chaos.fleet.fleet import Fleet

NODE_FAULTS = ("kill", "pause", "restart", "disconnect")
HEAL_DEADLINE = 60.0


@dataclass
class NodeFault:
    """One node fault on a set of nodes; `apply` then `heal` (idempotent)."""

    kind: str
    nodes: list[str]
    healed: bool = field(default=False, init=False)

    def apply(self, fleet: Fleet) -> None:
        api = fleet.client.api
        for name in self.nodes:
            node = fleet.nodes[name]
            try:
                if self.kind == "kill":
                    api.kill(node.container)
                elif self.kind == "pause":
                    api.pause(node.container)
                elif self.kind == "restart":
                    api.restart(node.container, timeout=1)
                elif self.kind == "disconnect":
                    api.disconnect_container_from_network(node.container, fleet.network, force=True)
                else:
                    raise ValueError(f"expected a node fault among {', '.join(NODE_FAULTS)}, found {self.kind!r}")
            except (APIError, NotFound) as exc:
                raise EnvironmentFailure(f"fault {self.kind} on {name}: Docker said: {exc.explanation}") from None

    def heal(self, fleet: Fleet, *, deadline: float = HEAL_DEADLINE) -> None:
        """Undo the fault, then wait until every node it hit is healthy again."""
        if self.healed:
            return
        api = fleet.client.api
        for name in self.nodes:
            node = fleet.nodes[name]
            try:
                state = api.inspect_container(node.container)["State"]
                if self.kind == "pause" and state.get("Paused"):
                    api.unpause(node.container)
                elif self.kind == "disconnect":
                    networks = api.inspect_container(node.container)["NetworkSettings"]["Networks"]
                    if fleet.network not in networks:
                        api.connect_container_to_network(node.container, fleet.network,
                                                         aliases=[node.service, node.name])
                elif self.kind == "kill" and not state.get("Running") and not state.get("Restarting"):
                    api.start(node.container)
            except (APIError, NotFound) as exc:
                raise EnvironmentFailure(f"healing {self.kind} on {name}: Docker said: {exc.explanation}") from None
            fleet.refresh_ports(node)
        fleet.wait_healthy(nodes=self.nodes, deadline=deadline)
        self.healed = True
