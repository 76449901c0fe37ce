"""Integration tests: the real Docker engine, real containers, real TCP.

The images are built once per session (through the same no-registry path a
user's air-gapped machine takes). At the end of the session no container,
network or volume labelled chaos-fleet.run may remain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chaos.fleet import labels
from chaos.fleet.compose import FleetSpec, load_fleet
from chaos.fleet.docker_client import connect
from chaos.fleet.fleet import Fleet
from chaos.fleet.images import ensure_images
from chaos.progress import Progress

ROOT = Path(__file__).resolve().parents[2]
EDGEFLEET = ROOT / "compose" / "edgefleet"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.docker)


@pytest.fixture(scope="session")
def docker_client():
    # No skip: an integration run without Docker must fail loudly, not pass empty.
    return connect()


@pytest.fixture(scope="session")
def edgefleet_spec() -> FleetSpec:
    return load_fleet(EDGEFLEET)


@pytest.fixture(scope="session")
def edgefleet_images(docker_client, edgefleet_spec) -> dict[str, str]:
    return ensure_images(docker_client, edgefleet_spec, progress=Progress())


def _leftovers(client, run_id: str | None = None) -> list[str]:
    found = [c["Names"][0] for c in client.api.containers(all=True, filters=labels.run_filter(run_id))]
    found += [n["Name"] for n in client.api.networks(filters=labels.run_filter(run_id))]
    found += [v["Name"] for v in client.api.volumes(filters=labels.run_filter(run_id)).get("Volumes") or []]
    return found


@pytest.fixture
def leftovers(docker_client) -> Callable[..., list[str]]:
    """Labelled containers, networks and volumes still on the daemon: of one run, or all that the test added.

    Objects that were there before the test (another session's detached fleet,
    a network the daemon will not let go of) are not this test's leftovers.
    """
    before = set(_leftovers(docker_client))
    return lambda run_id=None: _leftovers(docker_client, run_id) if run_id else sorted(
        set(_leftovers(docker_client)) - before)


@pytest.fixture
def start_fleet(docker_client, edgefleet_spec, edgefleet_images) -> Iterator[Callable[..., Fleet]]:
    """Bring up the reference fleet with overrides; every fleet is torn down after the test."""
    fleets: list[Fleet] = []

    def start(*, edges: int = 3, edge_env: dict[str, str] | None = None,
              env: dict[str, dict[str, str]] | None = None, deadline: float = 60.0) -> Fleet:
        spec = edgefleet_spec.with_overrides(replicas={"edge": edges},
                                             environment={"edge": edge_env or {}, **(env or {})})
        fleet = Fleet(spec, client=docker_client, images=edgefleet_images)
        fleets.append(fleet)
        fleet.up(deadline=deadline)
        return fleet

    yield start
    for fleet in fleets:
        fleet.down()
        assert _leftovers(docker_client, fleet.run_id) == []
