"""Reading fleet files: the supported subset, overrides, and errors that name file:line:column."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.errors import FleetFileError
from chaos.fleet.compose import load_fleet, parse_memory
from chaos.yamlpos import Mark, YamlError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    path = tmp_path / "compose.yaml"
    path.write_text(text)
    return path


def test_reference_fleet_reads_with_its_chaos_block():
    spec = load_fleet(ROOT / "compose" / "edgefleet")
    assert set(spec.services) == {"controlplane", "generator", "origin", "edge", "toxiproxy"}
    assert spec.services["toxiproxy"].embedded_proxy and spec.health["toxiproxy"].path == "/version"
    assert spec.services["edge"].restart == "always" and spec.services["edge"].ports == [8080]
    assert spec.health["edge"].version == "version"
    assert spec.actions["push"].service == "controlplane" and spec.actions["push"].body == "features"


def test_overrides_change_replicas_and_environment_only_where_asked():
    spec = load_fleet(ROOT / "compose" / "edgefleet")
    changed = spec.with_overrides(replicas={"edge": 10}, environment={"edge": {"EDGE_MODE": "panic"}})
    assert changed.services["edge"].replicas == 10
    assert changed.services["edge"].environment["EDGE_MODE"] == "panic"
    assert changed.services["edge"].environment["FEATURE_LIMIT"] == "200"
    assert spec.services["edge"].replicas == 3
    with pytest.raises(FleetFileError, match="no service 'nope'"):
        spec.with_overrides(replicas={"nope": 1})


@pytest.mark.parametrize("text, where, fragment", [
    ("services:\n  web:\n    build: .\n    privileged: true\n", ":4:5:", "key 'privileged' is not supported"),
    ("services:\n  web:\n    build: .\n    ports: ['0.0.0.0:80:80']\n", ":4:13:", "published on 127.0.0.1"),
    ("services:\n  web:\n    build: .\n    restart: sometimes\n", ":4:5:", "expected one of always"),
    ("services:\n  web:\n    build: .\n    deploy: {replicas: 900}\n", ":4:14:", "expected 0..200, found 900"),
    ("services:\n  web:\n    command: [x]\n", ":2:3:", "expected an image or a build"),
    ("services:\n  web:\n    build: .\n    depends_on: [db]\n", ":4:5:", "found 'db'"),
    ("services:\n  web:\n    build: .\nx-chaos:\n  health:\n    db: {port: 1}\n", ":6:5:", "found 'db'"),
    ("services:\n  web:\n    build: .\n    ports: ['80']\nx-chaos:\n  health:\n    web: {port: 81}\n", ":7:11:", "found 81"),
    ("services: [a, b]\n", ":1:1:", "expected a mapping of services"),
    ("services:\n  web:\n    build: .\n    mem_limit: lots\n", ":4:5:", "expected a memory size"),
    ("services:\n  web: {build: ., build: .}\n", ":2:19:", "duplicate key 'build'"),
    ("services:\n  web: [\n", ":3:1:", "not valid YAML"),
])
def test_bad_fleet_files_get_one_line_with_the_place(tmp_path, text, where, fragment):
    path = write(tmp_path, text)
    with pytest.raises((FleetFileError, YamlError)) as caught:
        load_fleet(path)
    message = str(caught.value)
    assert message.startswith(f"{path}{where}"), message
    assert fragment in message and "\n" not in message


def test_a_missing_file_and_an_empty_folder_are_named(tmp_path):
    with pytest.raises(Exception, match="no such file"):
        load_fleet(tmp_path / "nope.yaml")
    with pytest.raises(FleetFileError, match="expected a compose.yaml"):
        load_fleet(tmp_path)


def test_memory_units():
    mark = Mark("f", 1, 1)
    assert parse_memory("96m", where="m", mark=mark) == 96 * 2**20
    assert parse_memory("1g", where="m", mark=mark) == 2**30
    assert parse_memory(4096, where="m", mark=mark) == 4096
