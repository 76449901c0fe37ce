"""The host port range published ports come from: outside the kernel's ephemeral range."""

from __future__ import annotations

import pytest

from chaos.errors import UsageError
from chaos.fleet.host_ports import ENV, host_port_range, loopback_binding, outside


def kernel(tmp_path, text: str):
    path = tmp_path / "ip_local_port_range"
    path.write_text(text)
    return path


def test_the_range_above_the_ephemeral_one_is_preferred(tmp_path):
    assert host_port_range({}, kernel(tmp_path, "32768\t60999\n")) == "61000-65535"


def test_below_the_ephemeral_range_when_nothing_is_left_above_it(tmp_path):
    assert host_port_range({}, kernel(tmp_path, "49152 65535\n")) == "32768-49151"
    assert host_port_range({}, kernel(tmp_path, "10000 65000\n")) == "1024-9999"


def test_docker_chooses_when_the_ephemeral_range_leaves_no_room(tmp_path):
    assert host_port_range({}, kernel(tmp_path, "1024 65000\n")) is None
    assert outside(None) is None


def test_an_unreadable_kernel_range_leaves_the_choice_to_docker(tmp_path):
    assert host_port_range({}, tmp_path / "missing") is None
    assert host_port_range({}, kernel(tmp_path, "garbage")) is None


def test_the_environment_overrides_the_choice(tmp_path):
    path = kernel(tmp_path, "32768 60999")
    assert host_port_range({ENV: "20000-20999"}, path) == "20000-20999"
    assert host_port_range({ENV: "docker"}, path) is None


@pytest.mark.parametrize("bad", ["20000", "2000-1000", "80-2000", "20000-70000", "a-b"])
def test_a_malformed_override_is_a_one_line_usage_error(tmp_path, bad):
    with pytest.raises(UsageError, match=f"{ENV}=.*LOW-HIGH"):
        host_port_range({ENV: bad}, kernel(tmp_path, "32768 60999"))


def test_the_binding_is_loopback_with_or_without_a_range():
    assert loopback_binding("61000-65535") == ("127.0.0.1", "61000-65535")
    assert loopback_binding(None) == ("127.0.0.1",)
