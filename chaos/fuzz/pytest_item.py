"""Fuzz scenarios under pytest: what the plugin's scenario item calls when the scenario has a fuzz block.

Wiring, in `chaos/pytest_plugin.py` (imports stay inside the hooks):

    @pytest.hookimpl(tryfirst=True)          # before Hypothesis loads --hypothesis-profile
    def pytest_configure(config):
        ...
        if config.getoption("hypothesis_profile", None) in ("ci", "nightly"):
            from chaos.fuzz.profiles import register_profiles
            register_profiles()

    class ScenarioItem(pytest.Item):
        def runtest(self):
            if self.load_error: ...
            if self.scenario.fuzz is not None:
                from chaos.fuzz.pytest_item import run_fuzz_item
                run_fuzz_item(self)
                return
            ...

The item's options are the plugin's (`--chaos-seed`, `--chaos-keep-fleet`,
`--chaos-journal-dir`) and Hypothesis's `--hypothesis-profile`; the
example count comes from the profile (see `profiles.py`).
"""

from __future__ import annotations

from typing import Any


def run_fuzz_item(item: Any) -> None:
    """Fuzz `item.scenario`; raises the plugin's ScenarioFailed when the outcome is not what the scenario expects."""
    from chaos.errors import ChaosError
    from chaos.fuzz.run import run_fuzz
    from chaos.progress import Progress
    from chaos.pytest_plugin import ScenarioFailed

    options = item.config.option
    profile = getattr(options, "hypothesis_profile", None)
    try:
        result = run_fuzz(item.scenario, seed=getattr(options, "chaos_seed", None), profile=profile,
                          keep_fleet=getattr(options, "chaos_keep_fleet", False),
                          out_dir=getattr(options, "chaos_journal_dir", "chaos-runs"), progress=Progress(quiet=True))
    except ChaosError as exc:
        raise ScenarioFailed(f"{item.path}: the fuzz run could not happen: {exc}") from None
    item.result = result
    # The same properties as any scenario item (the report collector finds the journal among them).
    from chaos.report.plugin import run_properties

    item.user_properties += run_properties(result) + [("examples", str(result.examples_run))]
    if not result.as_expected:
        raise ScenarioFailed(result.explain())
