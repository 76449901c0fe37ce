"""Hypothesis profiles, and how a fuzz run picks its examples, seed and example database.

    register_profiles()        # `ci` and `nightly`, replacing Hypothesis's built-in `ci`
    config = fuzz_config(scenario, examples=None, seed=None, profile=None, database=None)

| profile | examples of a fuzz scenario | seed | example database | shrinking |
| --- | --- | --- | --- | --- |
| default | the scenario's `fuzz.max_examples` | the scenario's | persisted, one folder per scenario | until Hypothesis stops |
| ci | at most 10 | the scenario's | none | at most 8 examples |
| nightly | at least 1000 | a new one each run (printed) | persisted, one folder per scenario | until Hypothesis stops |

`--examples N` and `--seed S` win over any profile. The profile is the one
named (`--profile`, `--hypothesis-profile`), else `CHAOS_FUZZ_PROFILE`, else
the one Hypothesis has loaded. Hypothesis's own `ci` profile is loaded by
Hypothesis whenever the environment has `CI` set and derandomizes every
test; `register_profiles` replaces it with this project's (still
derandomized, so plain property tests stay deterministic in CI; fuzz runs
pass their seed explicitly anyway).

The database folder is `.hypothesis/chaos-fuzz/<scenario>-<hash of its
path>` under the working directory (or `CHAOS_FUZZ_DATABASE` / `--database`),
so each scenario replays its own failing examples first, and two scenarios
never replay each other's.
"""

from __future__ import annotations

import hashlib
import os
import random
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

from chaos.errors import UsageError
from chaos.scenario import Scenario

PROFILE_ENV = "CHAOS_FUZZ_PROFILE"
DATABASE_ENV = "CHAOS_FUZZ_DATABASE"
DATABASE_ROOT = Path(".hypothesis") / "chaos-fuzz"
CI_EXAMPLES = 10
CI_SHRINKS = 8
NIGHTLY_EXAMPLES = 1000
PROFILES = ("default", "ci", "nightly")


def register_profiles() -> None:
    """Register the `ci` and `nightly` profiles (safe to call again)."""
    settings.register_profile("ci", deadline=None, derandomize=True, database=None, max_examples=CI_EXAMPLES,
                              print_blob=True, suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("nightly", deadline=None, derandomize=False, max_examples=NIGHTLY_EXAMPLES,
                              database=DirectoryBasedExampleDatabase(str(Path(".hypothesis") / "examples")),
                              suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class FuzzConfig:
    """How one fuzz run goes: examples, seed, database and shrink budget."""

    profile: str
    examples: int
    seed: int
    database_dir: Path | None
    database_key: bytes
    max_shrinks: int | None  # pushes spent shrinking after the first failure; None: Hypothesis decides

    @property
    def database(self) -> ExampleDatabase | None:
        if self.database_dir is None:
            return None
        self.database_dir.mkdir(parents=True, exist_ok=True)
        return DirectoryBasedExampleDatabase(str(self.database_dir))


def scenario_key(scenario: Scenario) -> str:
    """A name for the scenario that is stable across runs and differs between scenarios: `<stem>-<hash of its path>`."""
    digest = hashlib.sha256(str(Path(scenario.path).resolve()).encode()).hexdigest()[:12]
    return f"{Path(scenario.path).stem}-{digest}"


def active_profile(profile: str | None = None) -> str:
    """The profile named, else CHAOS_FUZZ_PROFILE, else the one Hypothesis has loaded."""
    name = profile or os.environ.get(PROFILE_ENV) or settings.get_current_profile_name()
    return name if name in PROFILES else "default"


def fuzz_config(scenario: Scenario, *, examples: int | None = None, seed: int | None = None,
                profile: str | None = None, database: str | Path | None = None) -> FuzzConfig:
    """The run's settings for a scenario with a fuzz block (see the module's table)."""
    if scenario.fuzz is None:
        raise UsageError(f"{scenario.path}: expected a scenario with a fuzz block, found none")
    if profile is not None and profile not in PROFILES:
        raise UsageError(f"--profile: expected one of {', '.join(PROFILES)}, found {profile!r}")
    if examples is not None and examples < 1:
        raise UsageError(f"--examples: expected a whole number >= 1, found {examples}")
    name = active_profile(profile)
    wanted = scenario.fuzz.max_examples
    if examples is not None:
        count = examples
    elif name == "ci":
        count = min(wanted, CI_EXAMPLES)
    elif name == "nightly":
        count = max(wanted, NIGHTLY_EXAMPLES)
    else:
        count = wanted
    if seed is None:
        seed = random.SystemRandom().randrange(2**32) if name == "nightly" else scenario.seed
    root = Path(database) if database is not None else Path(os.environ.get(DATABASE_ENV) or DATABASE_ROOT)
    key = scenario_key(scenario)
    return FuzzConfig(
        profile=name,
        examples=count,
        seed=seed,
        database_dir=None if name == "ci" and database is None else root / key,
        database_key=f"chaos-fuzz/{key}/{scenario.fuzz.strategy}".encode(),
        max_shrinks=CI_SHRINKS if name == "ci" else None,
    )
