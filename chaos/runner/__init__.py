"""The runner: one scenario from fleet up to verdicts, heals and teardown."""

from chaos.runner.result import RunResult
from chaos.runner.run import run_scenario

__all__ = ["RunResult", "run_scenario"]
