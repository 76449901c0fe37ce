"""Fuzzing: Hypothesis strategies for feature files, and the live-fleet property runner.

    from chaos.fuzz import feature_files, feature_file_specs, feature_counts, FeatureFileSpec

    @given(feature_files(limit=200))
    def test_loader_rejects_or_loads(raw): ...

    from chaos.fuzz import run_fuzz          # a scenario with a fuzz block, against a live fleet
    result = run_fuzz(load_scenario("scenarios/fuzz-panic-limit.yaml"), examples=50)

Layering: `feature_spec` (a file as a few choices, no Hypothesis) <-
`strategies` (the choices drawn) <- `plan` (a scenario's fuzz block) and
`profiles` (examples, seeds, databases) <- `window` (an example's timeline)
<- `session` (a warm fleet: steps, watching, resets) <- `live_property`
(feature_files) and `machine` (fleet_steps), over `search` (Hypothesis
plumbing) <- `run` (one scenario, end to end; `replay` writes the finding
as a scenario) <- `command` (`chaos fuzz`) and `pytest_item` (the plugin).
Importing this package imports nothing: names load on first use (the
strategies need Hypothesis, the runner Docker), so the pytest plugin and
the `chaos` command reach `pytest_item` and `command` without either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaos.fuzz.feature_spec import FeatureFileSpec
    from chaos.fuzz.profiles import register_profiles
    from chaos.fuzz.result import FuzzResult
    from chaos.fuzz.run import run_fuzz
    from chaos.fuzz.strategies import boundary_counts, feature_counts, feature_file_specs, feature_files

__all__ = ["FeatureFileSpec", "FuzzResult", "boundary_counts", "feature_counts", "feature_file_specs", "feature_files",
           "register_profiles", "run_fuzz"]

_LAZY = {"FeatureFileSpec": "chaos.fuzz.feature_spec", "boundary_counts": "chaos.fuzz.strategies",
         "feature_counts": "chaos.fuzz.strategies", "feature_file_specs": "chaos.fuzz.strategies",
         "feature_files": "chaos.fuzz.strategies", "FuzzResult": "chaos.fuzz.result", "run_fuzz": "chaos.fuzz.run",
         "register_profiles": "chaos.fuzz.profiles"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'chaos.fuzz' has no attribute {name!r}")
