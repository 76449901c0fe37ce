"""Removing a run's network: a slow release is waited out, a stale daemon count is reported, not raised."""

from __future__ import annotations

import pytest
from docker.errors import APIError

from chaos.errors import EnvironmentFailure
from chaos.fleet.fleet import _remove_network


class FakeApi:
    """The two calls _remove_network makes; fails `failures` times, then succeeds."""

    def __init__(self, *, failures: int, attached: dict) -> None:
        self.failures, self.attached, self.calls = failures, attached, 0

    def remove_network(self, _id: str) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise APIError("error while removing network: has active endpoints")

    def inspect_network(self, _id: str) -> dict:
        return {"Containers": self.attached}


class FakeClient:
    def __init__(self, api: FakeApi) -> None:
        self.api = api


NETWORK = {"Id": "n1", "Name": "cf-abc"}


def test_a_network_released_late_is_removed_without_warning():
    api = FakeApi(failures=2, attached={})
    assert _remove_network(FakeClient(api), NETWORK, seconds=2) is None
    assert api.calls == 3


def test_a_stale_endpoint_count_with_no_container_is_a_warning():
    warning = _remove_network(FakeClient(FakeApi(failures=10**6, attached={})), NETWORK, seconds=0.3)
    assert warning is not None and "cf-abc has no container left" in warning and "restarting the daemon" in warning


def test_a_network_with_a_container_still_attached_is_an_error():
    with pytest.raises(EnvironmentFailure, match="cf-abc could not be removed"):
        _remove_network(FakeClient(FakeApi(failures=10**6, attached={"x": {}})), NETWORK, seconds=0.3)
