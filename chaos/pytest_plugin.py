"""The pytest plugin, registered through the `pytest11` entry point.

`pytest scenarios/` collects each scenario file as one test item; a failed
item reports the violation's own explanation at the scenario's file and
line, not a Python traceback. The module stays light: Docker, Hypothesis and
the runner are imported inside hooks and fixtures, so plain test runs that
never touch a scenario pay nothing for it.

Which YAML files are scenarios: files under a folder named `scenarios`, and
files named on the command line. (Fleet files and test fixtures elsewhere
are left alone.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaos", "chaos-fleet scenarios")
    group.addoption("--chaos-seed", type=int, default=None, help="override every scenario's seed")
    group.addoption("--chaos-keep-fleet", action="store_true", help="leave a failed scenario's fleet up")
    group.addoption("--chaos-journal-dir", default="chaos-runs", help="where journals and timelines go")
    from chaos.report.plugin import add_options

    add_options(group)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("hypothesis_profile", None) in ("ci", "nightly"):
        # Before Hypothesis's own plugin loads the profile by that name (ours replace its built-in `ci`).
        from chaos.fuzz.profiles import register_profiles

        register_profiles()
    config.addinivalue_line("markers", "scenario: a chaos-fleet scenario file (needs Docker)")
    config.addinivalue_line("markers", "expect_violation: a scenario that demonstrates a broken design")
    config.addinivalue_line("markers", "fleet(path, replicas=None, environment=None): the fleet the `fleet` fixture starts")
    from chaos.report.plugin import register

    register(config)


def _is_scenario(file_path: Path, config: pytest.Config) -> bool:
    if file_path.suffix not in (".yaml", ".yml"):
        return False
    named = {Path(arg.split("::")[0]).resolve() for arg in config.args}
    return "scenarios" in file_path.parent.parts or file_path.resolve() in named


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if _is_scenario(file_path, parent.config):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    """One scenario file: one test item (a file that does not load fails as that item)."""

    def collect(self):
        from chaos.errors import ChaosError
        from chaos.scenario import load_scenario

        try:
            scenario = load_scenario(self.path)
            error = None
        except ChaosError as exc:
            scenario, error = None, str(exc)
        item = ScenarioItem.from_parent(self, name=self.path.stem, scenario=scenario, load_error=error)
        item.add_marker(pytest.mark.scenario)
        item.add_marker(pytest.mark.docker)
        if scenario is not None and scenario.expect == "violation":
            item.add_marker(pytest.mark.expect_violation)
        yield item


class ScenarioFailed(Exception):
    """A scenario whose outcome was not what it expected; carries the text to show."""


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Any, load_error: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.load_error = load_error
        self.result = None

    def runtest(self) -> None:
        if self.load_error:
            raise ScenarioFailed(self.load_error)
        if self.scenario.fuzz is not None:
            from chaos.fuzz.pytest_item import run_fuzz_item

            run_fuzz_item(self)
            return
        from chaos.errors import ChaosError
        from chaos.progress import Progress
        from chaos.runner import run_scenario

        options = self.config.option
        try:
            self.result = run_scenario(self.scenario, seed=options.chaos_seed, keep_fleet=options.chaos_keep_fleet,
                                       out_dir=options.chaos_journal_dir, progress=Progress(quiet=True))
        except ChaosError as exc:
            raise ScenarioFailed(f"{self.path}: the run could not happen: {exc}") from None
        from chaos.report.plugin import run_properties

        self.user_properties += run_properties(self.result)
        if not self.result.as_expected:
            raise ScenarioFailed(self.result.explain())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        line = self.scenario.mark.line - 1 if self.scenario is not None and self.scenario.mark else 0
        title = self.scenario.title if self.scenario is not None else self.path.name
        return self.path, line, f"scenario: {title}"


# -- fixtures for Python tests ------------------------------------------------


@pytest.fixture
def fleet_factory():
    """Start fleets from fleet files: `fleet_factory(path, replicas=..., environment=...)`; all come down after."""
    from chaos.fleet.compose import load_fleet
    from chaos.fleet.docker_client import connect
    from chaos.fleet.fleet import Fleet
    from chaos.fleet.images import ensure_images

    started: list[Any] = []
    client = connect()

    def start(path: str | Path, *, replicas: dict[str, int] | None = None,
              environment: dict[str, dict[str, str]] | None = None, deadline: float = 60.0):
        spec = load_fleet(path).with_overrides(replicas=replicas, environment=environment)
        fleet = Fleet(spec, client=client, images=ensure_images(client, spec))
        started.append(fleet)
        fleet.up(deadline=deadline)
        return fleet

    yield start
    for fleet in started:
        fleet.down()


@pytest.fixture
def fleet(request: pytest.FixtureRequest, fleet_factory):
    """A running fleet, from `@pytest.mark.fleet(path, replicas=..., environment=...)`."""
    marker = request.node.get_closest_marker("fleet")
    if marker is None or not marker.args:
        raise pytest.UsageError("the fleet fixture needs @pytest.mark.fleet('path/to/compose.yaml', ...)")
    return fleet_factory(marker.args[0], **marker.kwargs)


@pytest.fixture
def run_scenario(request: pytest.FixtureRequest):
    """Run a scenario (a path or a loaded Scenario) from Python; returns its RunResult."""
    from chaos.progress import Progress
    from chaos.runner import run_scenario as run
    from chaos.scenario import load_scenario

    options = request.config.option

    def go(scenario: Any, *, seed: int | None = None):
        if not hasattr(scenario, "steps"):
            scenario = load_scenario(scenario)
        return run(scenario, seed=seed if seed is not None else options.chaos_seed,
                   keep_fleet=options.chaos_keep_fleet, out_dir=options.chaos_journal_dir,
                   progress=Progress(quiet=True))

    return go
