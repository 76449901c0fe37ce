"""Target selection: seeded, natural order, PERCENT rounding, errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaos.scenario import ScenarioError, Selection, load_scenario, select_targets
from chaos.scenario.selection import natural_key, percent_count, select_nodes

VALID = Path(__file__).parent / "fixtures" / "valid.yaml"
EDGE = [f"edge-{i}" for i in range(1, 11)]


def test_the_valid_scenario_selects_its_targets() -> None:
    scenario = load_scenario(VALID)
    chosen = select_targets(scenario, {"edge": list(reversed(EDGE)), "control": ["control-1"]})
    assert len(chosen["half"]) == 5 and len(chosen["three"]) == 3
    assert chosen["named"] == ["edge-1", "edge-3"]
    assert chosen["everyone"] == EDGE  # natural order: edge-2 before edge-10
    assert chosen == select_targets(scenario, {"edge": EDGE, "control": ["control-1"]})  # order of input does not matter


def test_the_seed_and_the_target_name_drive_the_choice() -> None:
    half = Selection("percent", amount=50)
    picks = {tuple(select_nodes("half", half, EDGE, seed=seed)) for seed in range(20)}
    assert len(picks) > 1
    assert select_nodes("half", half, EDGE, seed=7) == select_nodes("half", half, EDGE, seed=7)


def test_percent_rounds_half_up_and_takes_at_least_one() -> None:
    assert percent_count(50, 5) == 3
    assert percent_count(10, 30) == 3
    assert percent_count(1, 10) == 1
    assert percent_count(0, 10) == 0
    assert percent_count(100, 7) == 7
    assert percent_count(50, 0) == 0


def test_count_larger_than_the_service_names_both_numbers() -> None:
    scenario = load_scenario(VALID)
    with pytest.raises(ScenarioError, match=r"valid\.yaml:\d+:\d+: targets\.three\.select: expected COUNT\(n\) with n at most the service's 2 nodes, found COUNT\(3\)"):
        select_targets(scenario, {"edge": ["edge-1", "edge-3"]})


def test_unknown_node_names_are_named() -> None:
    scenario = load_scenario(VALID)
    only_named = dataclasses.replace(scenario, targets={"named": scenario.targets["named"]})
    with pytest.raises(ScenarioError, match="found unknown node 'edge-3'"):
        select_targets(only_named, {"edge": ["edge-1", "edge-2"]})


def test_a_service_without_nodes_listed_is_named() -> None:
    with pytest.raises(ScenarioError, match=r"targets\.half\.service: expected a service of the fleet \(control\), found 'edge'"):
        select_targets(load_scenario(VALID), {"control": ["control-1"]})


def test_natural_order() -> None:
    assert sorted(["edge-10", "edge-2", "edge-1"], key=natural_key) == ["edge-1", "edge-2", "edge-10"]


@settings(max_examples=100, deadline=None)
@given(
    size=st.integers(0, 60),
    percent=st.floats(0, 100, allow_nan=False),
    seed=st.integers(0, 10_000),
)
def test_percent_selection_is_a_subset_of_the_right_size(size: int, percent: float, seed: int) -> None:
    nodes = [f"n-{i}" for i in range(size)]
    chosen = select_nodes("t", Selection("percent", amount=percent), nodes, seed=seed)
    assert set(chosen) <= set(nodes) and len(set(chosen)) == len(chosen)
    assert len(chosen) == percent_count(percent, size)
    assert chosen == sorted(chosen, key=natural_key)
    if size and percent > 0:
        assert len(chosen) >= 1
