"""The Hypothesis plumbing, with a fake fleet: findings, aborts, the shrink budget, and replay from the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, seed

from chaos.errors import EnvironmentFailure
from chaos.fuzz.feature_spec import FeatureFileSpec
from chaos.fuzz.profiles import FuzzConfig
from chaos.fuzz.search import Abort, Budget, ExampleFailed, hypothesis_settings, run_search
from chaos.fuzz.strategies import feature_file_specs


def config(tmp_path: Path | None, *, examples: int = 100, max_shrinks: int | None = None, key: str = "a") -> FuzzConfig:
    return FuzzConfig(profile="default", examples=examples, seed=1, database_dir=tmp_path,
                      database_key=f"chaos-fuzz/{key}".encode(), max_shrinks=max_shrinks)


def search(cfg: FuzzConfig, fails, seen: list[FeatureFileSpec], budget: Budget | None = None):
    budget = budget or Budget(cfg.max_shrinks)

    def example(spec: FeatureFileSpec) -> None:
        budget.admit()
        seen.append(spec)
        if fails(spec):
            budget.failed()
            raise ExampleFailed(spec)

    strategy = feature_file_specs(limit=20, vary=("names", "duplicates"))
    return run_search(hypothesis_settings(cfg)(seed(cfg.seed)(given(strategy)(example))), cfg)


def test_a_finding_is_the_minimal_failing_example() -> None:
    found, flaky = search(config(None), lambda s: s.rows > 20, [])
    assert found == FeatureFileSpec(21) and flaky is None


def test_nothing_found_when_every_example_holds() -> None:
    seen: list[FeatureFileSpec] = []
    assert search(config(None, examples=15), lambda s: False, seen) == (None, None)
    assert 0 < len(seen) <= 15


def test_an_environment_failure_ends_the_search_unshrunk() -> None:
    def broken(spec: FeatureFileSpec) -> bool:
        raise Abort(EnvironmentFailure("docker went away"))

    with pytest.raises(EnvironmentFailure, match="docker went away"):
        search(config(None), broken, [])


def test_a_failure_that_does_not_come_back_is_reported_flaky() -> None:
    calls = {"failed": 0}

    def once(spec: FeatureFileSpec) -> bool:
        if spec.rows > 20 and not calls["failed"]:
            calls["failed"] += 1
            return True
        return False

    found, flaky = search(config(None), once, [])
    assert found is not None and flaky is not None and "held when Hypothesis replayed it" in flaky


def test_the_shrink_budget_stops_shrinking_early() -> None:
    full, budgeted = [], []
    search(config(None), lambda s: s.rows > 20, full)
    budget = Budget(3)
    found, _ = search(config(None, max_shrinks=3), lambda s: s.rows > 20, budgeted, budget)
    assert found is not None and found.rows > 20
    assert budget.stopped and len(budgeted) < len(full)


def test_the_database_replays_the_finding_first_and_keys_do_not_collide(tmp_path: Path) -> None:
    first: list[FeatureFileSpec] = []
    found, _ = search(config(tmp_path), lambda s: s.rows > 20, first)
    again: list[FeatureFileSpec] = []
    search(config(tmp_path), lambda s: s.rows > 20, again)
    assert again[0] == found
    other: list[FeatureFileSpec] = []
    search(config(tmp_path, key="b"), lambda s: s.rows > 20, other)
    assert other[0] != found
