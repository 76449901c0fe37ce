"""How long the harness takes to bring N edge nodes to healthy, against plain docker SDK calls.

Both sides start the same containers (same image, command, environment,
network, 127.0.0.1 port bindings, memory limit; the link proxy node too)
with the same concurrency, and each waits for one HTTP answer from every
node. The harness does more (labels, security options, per-node proxies
populated before the edge nodes start, a health wait with a deadline,
progress), and the ratio is what that costs. A third column starts the
same containers with only `sleep` in them and awaits nothing: what the
Docker daemon itself needs, a floor no harness can go below. Runs
alternate harness / plain / floor so drift hits all three.

    python bench/fleet_up.py [--rounds 3] [--sizes 10,30]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chaos.fleet import labels  # noqa: E402
from chaos.fleet.compose import load_fleet  # noqa: E402
from chaos.fleet.docker_client import connect  # noqa: E402
from chaos.fleet.fleet import CREATE_WORKERS, Fleet, remove_run  # noqa: E402
from chaos.fleet.host_ports import host_port_range, loopback_binding  # noqa: E402
from chaos.fleet.images import ensure_images  # noqa: E402


def harness_up(client, spec, images) -> float:
    fleet = Fleet(spec, client=client, images=images)
    started = time.perf_counter()
    fleet.up(deadline=120)
    elapsed = time.perf_counter() - started
    fleet.down()
    return elapsed


def answered(port: int, path: str) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", path)
        ok = conn.getresponse().status < 300
        conn.close()
        return ok
    except (OSError, http.client.HTTPException):
        return False


def bare_start(client, spec, images, *, prefix: str, command: list[str] | None = None) -> tuple[str, list[tuple[str, str]]]:
    """Bare SDK calls: a network, then each container created and started (with `command` instead of the
    service's, if given). Returns the run id (a label, only so the bench can clean up) and (id, health path)s."""
    run = labels.new_run_id()
    tag = {labels.RUN: run}
    api = client.api
    network = f"{prefix}-{run}"
    api.create_network(network, labels=tag)
    nodes = [(s, i) for s in spec.services.values() for i in range(1, s.replicas + 1)]
    binding = loopback_binding(host_port_range())  # as the harness publishes

    def start(item) -> tuple[str, str]:
        service, index = item
        created = api.create_container(
            images[service.name], command or service.command, name=f"{prefix}-{run}-{service.name}-{index}",
            hostname=f"{service.name}-{index}", ports=service.ports, labels=tag,
            environment={**service.environment, "NODE_NAME": f"{service.name}-{index}"},
            host_config=api.create_host_config(port_bindings={p: binding for p in service.ports},
                                               mem_limit=service.mem_limit),
            networking_config=api.create_networking_config(
                {network: api.create_endpoint_config(aliases=[service.name])}),
        )
        api.start(created["Id"])
        return created["Id"], spec.health[service.name].path

    with ThreadPoolExecutor(max_workers=CREATE_WORKERS) as pool:
        return run, list(pool.map(start, nodes))


def plain_up(client, spec, images) -> float:
    """The same containers with bare SDK calls, then one answer from each."""
    api = client.api
    started = time.perf_counter()
    run, ids = bare_start(client, spec, images, prefix="plain")

    def answer(started: tuple[str, str]) -> None:
        container_id, path = started
        bindings = api.inspect_container(container_id)["NetworkSettings"]["Ports"]
        port = int(next(iter(bindings.values()))[0]["HostPort"])
        while not answered(port, path):
            time.sleep(0.05)

    with ThreadPoolExecutor(max_workers=len(ids)) as pool:
        list(pool.map(answer, ids))
    elapsed = time.perf_counter() - started
    remove_run(client, run)
    return elapsed


def docker_floor(client, spec, images) -> float:
    """Docker's own cost: the same containers created and started, each only sleeping (no answer awaited)."""
    started = time.perf_counter()
    run, _ = bare_start(client, spec, images, prefix="floor", command=["sleep", "600"])
    elapsed = time.perf_counter() - started
    remove_run(client, run)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="10,30")
    args = parser.parse_args()
    client = connect()
    base = load_fleet(ROOT / "compose" / "edgefleet")
    images = ensure_images(client, base)
    print(f"{'edges':>5} {'containers':>10} {'harness s':>9} {'plain SDK s':>11} {'ratio':>5} {'docker start only s':>19}"
          "   (medians)   runs harness / plain / start only")
    for size in (int(s) for s in args.sizes.split(",")):
        spec = base.with_overrides(replicas={"edge": size})
        ours, plain, floor = [], [], []
        for _ in range(args.rounds):
            ours.append(harness_up(client, spec, images))
            plain.append(plain_up(client, spec, images))
            floor.append(docker_floor(client, spec, images))
        h, p, f = statistics.median(ours), statistics.median(plain), statistics.median(floor)
        runs = " / ".join(" ".join(f"{x:.2f}" for x in xs) for xs in (ours, plain, floor))
        containers = sum(s.replicas for s in spec.services.values())
        print(f"{size:>5} {containers:>10} {h:>9.2f} {p:>11.2f} {h / p:>5.2f} {f:>19.2f}   {runs}")
    print("targets: ratio <= 1.10; 10 edges healthy in < 3 s ('docker start only' is the daemon's own floor "
          "for those containers: no answer awaited)")


if __name__ == "__main__":
    main()
