"""Profiles: how many examples, which seed, which example database, per profile and per scenario."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_scenarios import FILES, scenario
from hypothesis import settings

from chaos.errors import UsageError
from chaos.fuzz.profiles import CI_EXAMPLES, NIGHTLY_EXAMPLES, fuzz_config, register_profiles, scenario_key


@pytest.fixture(autouse=True)
def no_profile_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAOS_FUZZ_PROFILE", raising=False)
    monkeypatch.delenv("CHAOS_FUZZ_DATABASE", raising=False)


def test_default_profile_runs_the_scenarios_examples_with_its_seed(tmp_path: Path) -> None:
    s = scenario(FILES, tmp_path)
    config = fuzz_config(s, profile="default", database=tmp_path / "db")
    assert (config.profile, config.examples, config.seed, config.max_shrinks) == ("default", 200, 5, None)
    assert config.database_dir == tmp_path / "db" / scenario_key(s)
    assert config.database is not None


def test_ci_lowers_the_examples_bounds_shrinking_and_keeps_no_database(tmp_path: Path) -> None:
    config = fuzz_config(scenario(FILES, tmp_path), profile="ci")
    assert (config.examples, config.seed, config.database_dir) == (CI_EXAMPLES, 5, None)
    assert config.max_shrinks is not None


def test_nightly_raises_the_examples_and_draws_a_fresh_seed(tmp_path: Path) -> None:
    s = scenario(FILES, tmp_path)
    seeds = {fuzz_config(s, profile="nightly").seed for _ in range(5)}
    assert fuzz_config(s, profile="nightly").examples == NIGHTLY_EXAMPLES
    assert len(seeds) > 1


def test_options_win_over_the_profile_and_the_environment_picks_it(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    s = scenario(FILES, tmp_path)
    assert fuzz_config(s, profile="ci", examples=3, seed=9).examples == 3
    assert fuzz_config(s, profile="nightly", seed=9).seed == 9
    monkeypatch.setenv("CHAOS_FUZZ_PROFILE", "ci")
    assert fuzz_config(s).examples == CI_EXAMPLES
    with pytest.raises(UsageError, match="--profile: expected one of default, ci, nightly, found 'weekly'"):
        fuzz_config(s, profile="weekly")


def test_each_scenario_has_a_database_of_its_own_that_stays_put(tmp_path: Path) -> None:
    one = scenario(FILES, tmp_path, "one.yaml")
    other = scenario(FILES, tmp_path, "other.yaml")
    first, again = fuzz_config(one, profile="default"), fuzz_config(one, profile="default")
    second = fuzz_config(other, profile="default")
    assert first.database_dir == again.database_dir and first.database_key == again.database_key
    assert first.database_dir != second.database_dir and first.database_key != second.database_key
    assert first.database_dir is not None and first.database_dir.name.startswith("one-")


def test_registered_profiles_replace_hypothesis_ci() -> None:
    register_profiles()
    ci, nightly = settings.get_profile("ci"), settings.get_profile("nightly")
    assert (ci.max_examples, ci.derandomize, ci.database, ci.deadline) == (CI_EXAMPLES, True, None, None)
    assert (nightly.max_examples, nightly.derandomize, nightly.deadline) == (NIGHTLY_EXAMPLES, False, None)
    assert nightly.database is not None
