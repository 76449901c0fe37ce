"""From a scenario's fault to the object that applies and heals it."""

from __future__ import annotations

from typing import Any, Protocol

from chaos.errors import UsageError
from chaos.faults.link_faults import LINK_FAULTS, LinkFault
from chaos.faults.node_faults import NODE_FAULTS, NodeFault
from chaos.faults.service_cut import ServiceCut
from chaos.fleet.fleet import Fleet

SERVICE_CUT = "control_plane_unreachable"
KNOWN = (*NODE_FAULTS, *LINK_FAULTS, SERVICE_CUT)


class Fault(Protocol):
    kind: str
    nodes: list[str]
    healed: bool

    def apply(self, fleet: Fleet) -> None: ...

    def heal(self, fleet: Fleet, *, deadline: float = ...) -> None:
        """Undo the fault and verify it; `deadline` bounds any wait for nodes to be healthy again."""


def make_fault(kind: str, *, nodes: list[str], link: str | None = None, params: dict[str, Any] | None = None) -> Fault:
    """The fault for a scenario step; UsageError for a kind or parameter it cannot honour."""
    params = dict(params or {})
    if kind in NODE_FAULTS:
        return NodeFault(kind, nodes)
    if kind in LINK_FAULTS:
        fault = LinkFault(kind, nodes, link=link, params=params)
        fault.toxic()  # check the parameters now, before anything is touched
        return fault
    if kind == SERVICE_CUT:
        if not link:
            raise UsageError(f"fault {kind}: expected link: <the service to cut off>, found none")
        return ServiceCut(link, str(params.get("mode", "blackhole")), nodes)
    raise UsageError(f"expected a fault among {', '.join(KNOWN)}, found {kind!r}")
