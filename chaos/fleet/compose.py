"""Read a fleet file: the subset of the Compose format the harness runs.

A fleet file is an ordinary Compose file (so `docker compose -f` works for
a person exploring by hand) plus a top-level `x-chaos` block that tells the
harness how to read each service's health, how to drive its actions (push,
rollback, ...) and where to send traffic. Keys the harness cannot honour are
refused by name and place, rather than silently ignored.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from chaos import yamlpos
from chaos.errors import FleetFileError
from chaos.yamlpos import Mark, PosDict, PosList

SERVICE_KEYS = {"image", "build", "command", "environment", "ports", "restart", "mem_limit", "depends_on", "deploy"}
RESTART_POLICIES = {"no", "always", "on-failure", "unless-stopped"}
ACTION_BODIES = {"none", "features", "file", "json"}
DEFAULT_MEMORY = 128 * 1024 * 1024
PROXY_SERVICE = "toxiproxy"  # the service the harness adds to run a fleet's links
PROXY_API_PORT = 8474
MAX_REPLICAS = 200


@dataclass(frozen=True)
class Build:
    context: Path
    dockerfile: str = "Dockerfile"
    args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HealthSpec:
    """Where a service's nodes report health: HTTP 2xx on `path` means healthy."""

    port: int
    path: str = "/health"
    version: str | None = None  # dotted path of the config version field in the JSON


@dataclass(frozen=True)
class ActionSpec:
    """A named HTTP action against one node of a service (push, rollback, ...)."""

    name: str
    service: str
    method: str
    path: str
    body: str = "none"  # none | features | file | json
    port: int | None = None  # default: the service's first published port


@dataclass(frozen=True)
class TrafficSpec:
    """Where the traffic probe sends requests, and how a wrong answer looks."""

    port: int
    path: str = "/"
    wrong_header: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkSpec:
    """Nodes of `source` reach `target` through a proxy of their own.

    `env` is the variable that carries the address in the source's
    containers; `url` formats it (`{address}` becomes `proxy:port`).
    """

    source: str
    target: str
    port: int
    env: str
    url: str = "{address}"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    image: str | None
    build: Build | None
    command: list[str] | None
    environment: dict[str, str]
    ports: list[int]
    restart: str
    mem_limit: int
    replicas: int
    depends_on: list[str]
    embedded_proxy: bool = False  # the harness's own Toxiproxy-compatible server, built from chaos/toxiproxy


@dataclass(frozen=True)
class FleetSpec:
    """A fleet file, read and checked."""

    name: str
    path: Path
    services: dict[str, ServiceSpec]
    health: dict[str, HealthSpec]
    actions: dict[str, ActionSpec]
    traffic: dict[str, TrafficSpec]
    status_fields: list[str]
    links: list[LinkSpec] = field(default_factory=list)
    proxy_image: str | None = None  # a Toxiproxy image to use instead of the embedded server

    def with_overrides(self, *, replicas: dict[str, int] | None = None,
                       environment: dict[str, dict[str, str]] | None = None) -> FleetSpec:
        """A copy with replica counts and environment variables changed per service."""
        services = dict(self.services)
        for name, count in (replicas or {}).items():
            self._known(name)
            if not 0 <= count <= MAX_REPLICAS:
                raise FleetFileError(f"replicas of {name!r}: expected 0..{MAX_REPLICAS}, found {count}", path=str(self.path))
            services[name] = replace(services[name], replicas=count)
        for name, env in (environment or {}).items():
            self._known(name)
            services[name] = replace(services[name], environment={**services[name].environment, **env})
        return replace(self, services=services)

    def _known(self, name: str) -> None:
        if name not in self.services:
            raise FleetFileError(f"no service {name!r} (services: {', '.join(self.services)})", path=str(self.path))


def _fail(message: str, mark: Mark) -> FleetFileError:
    return FleetFileError(message, path=mark.path, line=mark.line, column=mark.column)


def _kind(value: Any) -> str:
    return {PosDict: "a mapping", PosList: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number", type(None): "nothing"}.get(type(value), type(value).__name__)


def _expect(value: Any, kind: type | tuple[type, ...], what: str, where: str, mark: Mark) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _fail(f"{where}: expected {what}, found {_kind(value)} {value!r}"[:300], mark)
    return value


def _keys(mapping: PosDict, allowed: set[str], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise _fail(f"{where}: key {key!r} is not supported by chaos-fleet "
                        f"(supported: {', '.join(sorted(allowed))})", mapping.key_marks[key])


def _at(mapping: PosDict, key: str) -> Mark:
    return mapping.key_marks.get(key, mapping.mark)


def parse_memory(text: str | int, *, where: str, mark: Mark) -> int:
    """'96m' -> bytes; Compose's units (b, k, m, g)."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    found = re.fullmatch(r"\s*(\d+)\s*([bkmg]?)b?\s*", str(text).lower())
    if not found:
        raise _fail(f"{where}: expected a memory size such as 96m or 1g, found {text!r}", mark)
    return int(found[1]) * {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[found[2]]


def _environment(value: Any, where: str, mark: Mark) -> dict[str, str]:
    if isinstance(value, PosList):
        env = {}
        for item, item_mark in zip(value, value.item_marks):
            _expect(item, str, "NAME=value", where, item_mark)
            name, _, val = item.partition("=")
            env[name] = val
        return env
    _expect(value, PosDict, "a mapping or a list of NAME=value", where, mark)
    return {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}


def _ports(value: Any, where: str, mark: Mark) -> list[int]:
    _expect(value, PosList, "a list of ports", where, mark)
    ports = []
    for item, item_mark in zip(value, value.item_marks):
        text = str(item)
        # Accepted: "8080", "127.0.0.1::8080". A fixed host port would collide
        # between replicas and runs, and another host address would leave loopback.
        found = re.fullmatch(r"(?:127\.0\.0\.1::)?(\d{1,5})(?:/tcp)?", text)
        if not found or not 0 < int(found[1]) < 65536:
            raise _fail(f"{where}: expected a container port such as \"8080\" or \"127.0.0.1::8080\" "
                        f"(published on 127.0.0.1 at a free port), found {text!r}", item_mark)
        ports.append(int(found[1]))
    return ports


def _build(value: Any, base: Path, where: str, mark: Mark) -> Build:
    if isinstance(value, str):
        value = PosDict(context=value)
        value.mark, value.key_marks = mark, {"context": mark}
    _expect(value, PosDict, "a path or a mapping with context", where, mark)
    _keys(value, {"context", "dockerfile", "args"}, where)
    context = (base / _expect(value.get("context", "."), str, "a path", f"{where}.context", _at(value, "context"))).resolve()
    dockerfile = _expect(value.get("dockerfile", "Dockerfile"), str, "a file name", f"{where}.dockerfile", _at(value, "dockerfile"))
    if not (context / dockerfile).is_file():
        raise _fail(f"{where}: expected a Dockerfile at {context / dockerfile}, found none", mark)
    args = _environment(value.get("args", PosDict()), f"{where}.args", _at(value, "args"))
    return Build(context=context, dockerfile=dockerfile, args=args)


def _service(name: str, raw: Any, base: Path, mark: Mark) -> ServiceSpec:
    where = f"services.{name}"
    _expect(raw, PosDict, "a mapping", where, mark)
    _keys(raw, SERVICE_KEYS, where)
    if "image" not in raw and "build" not in raw:
        raise _fail(f"{where}: expected an image or a build, found neither", mark)
    command = raw.get("command")
    if isinstance(command, str):
        command = command.split()
    elif command is not None:
        _expect(command, PosList, "a list or a string", f"{where}.command", _at(raw, "command"))
        command = [str(part) for part in command]
    restart = str(raw.get("restart", "no"))
    if restart not in RESTART_POLICIES:
        raise _fail(f"{where}.restart: expected one of {', '.join(sorted(RESTART_POLICIES))}, found {restart!r}", _at(raw, "restart"))
    replicas, memory = 1, DEFAULT_MEMORY
    if "mem_limit" in raw:
        memory = parse_memory(raw["mem_limit"], where=f"{where}.mem_limit", mark=_at(raw, "mem_limit"))
    if "deploy" in raw:
        deploy = _expect(raw["deploy"], PosDict, "a mapping", f"{where}.deploy", _at(raw, "deploy"))
        _keys(deploy, {"replicas", "resources"}, f"{where}.deploy")
        replicas = _expect(deploy.get("replicas", 1), int, f"a whole number 0..{MAX_REPLICAS}", f"{where}.deploy.replicas", _at(deploy, "replicas"))
        if not 0 <= replicas <= MAX_REPLICAS:
            raise _fail(f"{where}.deploy.replicas: expected 0..{MAX_REPLICAS}, found {replicas}", _at(deploy, "replicas"))
        limits = (deploy.get("resources") or {}).get("limits") or {}
        if "memory" in limits:
            memory = parse_memory(limits["memory"], where=f"{where}.deploy.resources.limits.memory", mark=_at(deploy, "resources"))
    depends = raw.get("depends_on", PosList())
    if isinstance(depends, PosDict):
        depends = list(depends)
    _expect(depends, (list,), "a list of services", f"{where}.depends_on", _at(raw, "depends_on"))
    image = raw.get("image")
    if image is not None:
        _expect(image, str, "an image name", f"{where}.image", _at(raw, "image"))
    return ServiceSpec(
        name=name, image=image,
        build=_build(raw["build"], base, f"{where}.build", _at(raw, "build")) if "build" in raw else None,
        command=command,
        environment=_environment(raw.get("environment", PosDict()), f"{where}.environment", _at(raw, "environment")),
        ports=_ports(raw.get("ports", PosList()), f"{where}.ports", _at(raw, "ports")),
        restart=restart, mem_limit=memory, replicas=replicas, depends_on=[str(d) for d in depends],
    )


def _section(block: PosDict, key: str, services: dict[str, ServiceSpec], allowed: set[str]) -> dict[str, PosDict]:
    """A per-service part of x-chaos, checked for known services and keys."""
    section = _expect(block.get(key, PosDict()), PosDict, "a mapping of service -> settings", f"x-chaos.{key}", _at(block, key))
    out = {}
    for name, value in section.items():
        if name not in services:
            raise _fail(f"x-chaos.{key}: expected a service of this file ({', '.join(services)}), found {name!r}", section.key_marks[name])
        _expect(value, PosDict, "a mapping", f"x-chaos.{key}.{name}", section.key_marks[name])
        _keys(value, allowed, f"x-chaos.{key}.{name}")
        out[name] = value
    return out


def _port(value: Any, where: str, mark: Mark, service: ServiceSpec) -> int:
    _expect(value, int, "a port number", where, mark)
    if value not in service.ports:
        raise _fail(f"{where}: expected one of the ports {service.name} publishes {service.ports}, found {value}", mark)
    return value


def _links(block: PosDict, services: dict[str, ServiceSpec]) -> list[LinkSpec]:
    links = []
    for source, targets in _section(block, "links", services, set(services)).items():
        for target, raw in targets.items():
            where = f"x-chaos.links.{source}.{target}"
            mark = targets.key_marks[target]
            _expect(raw, PosDict, "a mapping with port, env and url", where, mark)
            _keys(raw, {"port", "env", "url"}, where)
            port = _port(raw.get("port"), f"{where}.port", _at(raw, "port"), services[target])
            env = _expect(raw.get("env"), str, "the name of the variable that holds the address", f"{where}.env", _at(raw, "env"))
            url = _expect(raw.get("url", "{address}"), str, "a text with {address}", f"{where}.url", _at(raw, "url"))
            if "{address}" not in url:
                raise _fail(f"{where}.url: expected a text with {{address}} in it, found {url!r}", _at(raw, "url"))
            links.append(LinkSpec(source=source, target=target, port=port, env=env, url=url))
    return links


def _chaos_block(block: PosDict, services: dict[str, ServiceSpec]) -> tuple[dict, dict, dict, list[str]]:
    _keys(block, {"health", "actions", "traffic", "status", "links", "proxy"}, "x-chaos")
    health = {}
    for name, raw in _section(block, "health", services, {"port", "path", "version"}).items():
        where = f"x-chaos.health.{name}"
        health[name] = HealthSpec(port=_port(raw.get("port"), f"{where}.port", _at(raw, "port"), services[name]),
                                  path=str(raw.get("path", "/health")),
                                  version=None if raw.get("version") is None else str(raw["version"]))
    actions = {}
    raw_actions = _expect(block.get("actions", PosDict()), PosDict, "a mapping of action -> request", "x-chaos.actions", _at(block, "actions"))
    for name, raw in raw_actions.items():
        where = f"x-chaos.actions.{name}"
        _expect(raw, PosDict, "a mapping", where, raw_actions.key_marks[name])
        _keys(raw, {"service", "method", "path", "body", "port"}, where)
        service = raw.get("service")
        if service not in services:
            raise _fail(f"{where}.service: expected a service of this file ({', '.join(services)}), found {service!r}", _at(raw, "service"))
        if not services[service].ports:
            raise _fail(f"{where}.service: expected a service that publishes a port, found {service!r} with none", _at(raw, "service"))
        port = None if "port" not in raw else _port(raw["port"], f"{where}.port", _at(raw, "port"), services[service])
        body = str(raw.get("body", "none"))
        if body not in ACTION_BODIES:
            raise _fail(f"{where}.body: expected one of {', '.join(sorted(ACTION_BODIES))}, found {body!r}", _at(raw, "body"))
        actions[name] = ActionSpec(name=name, service=service, method=str(raw.get("method", "POST")).upper(),
                                   path=str(raw.get("path", "/")), body=body, port=port)
    traffic = {}
    for name, raw in _section(block, "traffic", services, {"port", "path", "wrong_header"}).items():
        where = f"x-chaos.traffic.{name}"
        wrong = raw.get("wrong_header", PosDict())
        _expect(wrong, PosDict, "a mapping of header -> value", f"{where}.wrong_header", _at(raw, "wrong_header"))
        traffic[name] = TrafficSpec(port=_port(raw.get("port"), f"{where}.port", _at(raw, "port"), services[name]),
                                    path=str(raw.get("path", "/")), wrong_header={str(k): str(v) for k, v in wrong.items()})
    status = block.get("status", PosList())
    _expect(status, list, "a list of health field paths", "x-chaos.status", _at(block, "status"))
    return health, actions, traffic, [str(s) for s in status]


def load_fleet(path: str | Path) -> FleetSpec:
    """Read and check a fleet file; a folder means its compose.yaml."""
    path = Path(path)
    if path.is_dir():
        for candidate in ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"):
            if (path / candidate).is_file():
                path = path / candidate
                break
        else:
            raise FleetFileError("expected a compose.yaml in this folder, found none", path=str(path))
    doc = yamlpos.load(path)
    top = Mark(str(path), 1, 1)
    _expect(doc, PosDict, "a mapping with services", "the file", top)
    extensions = {k for k in doc if k.startswith("x-")}
    _keys(doc, {"name", "services", "version"} | extensions, "top level")
    raw_services = _expect(doc.get("services"), PosDict, "a mapping of services", "services", _at(doc, "services"))
    if not raw_services:
        raise _fail("services: expected at least one service, found none", _at(doc, "services"))
    base = path.parent.resolve()
    services = {}
    for name, raw in raw_services.items():
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
            raise _fail(f"services: expected a lower-case service name, found {name!r}", raw_services.key_marks[name])
        services[name] = _service(name, raw, base, raw_services.key_marks[name])
    for service in services.values():
        for dep in service.depends_on:
            if dep not in services:
                raise _fail(f"services.{service.name}.depends_on: expected a service of this file, found {dep!r}",
                            raw_services[service.name].key_marks.get("depends_on", raw_services[service.name].mark))
    block = doc.get("x-chaos", PosDict())
    _expect(block, PosDict, "a mapping", "x-chaos", _at(doc, "x-chaos"))
    if not block:
        block.mark, block.key_marks = top, {}
    health, actions, traffic, status = _chaos_block(block, services)
    proxy = block.get("proxy", "embedded")
    _expect(proxy, str, "embedded or a Toxiproxy image", "x-chaos.proxy", _at(block, "proxy"))
    if PROXY_SERVICE in services:
        raise _fail(f"services: the name {PROXY_SERVICE!r} is the harness's own link proxy; rename the service",
                    raw_services.key_marks[PROXY_SERVICE])
    links = _links(block, services)
    image = os.environ.get("CHAOS_PROXY_IMAGE") or (None if proxy == "embedded" else proxy)
    if links:
        # The proxy is one more node of the fleet, so it is labelled, watched and torn down like the rest.
        services[PROXY_SERVICE] = ServiceSpec(
            name=PROXY_SERVICE, image=image, build=None, command=None, environment={}, ports=[PROXY_API_PORT],
            restart="no", mem_limit=DEFAULT_MEMORY, replicas=1, depends_on=[], embedded_proxy=image is None)
        health[PROXY_SERVICE] = HealthSpec(port=PROXY_API_PORT, path="/version")
    name = str(doc.get("name") or base.name)
    return FleetSpec(name=name, path=path.resolve(), services=services, health=health,
                     actions=actions, traffic=traffic, status_fields=status, links=links, proxy_image=image)
