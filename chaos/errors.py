"""The harness's exceptions.

    ChaosError                  root: everything the harness raises on purpose
    +-- UsageError              the user's mistake (bad file, bad option): exit 2
    |   +-- FleetFileError      a fleet file that cannot be used; names file:line:column
    +-- EnvironmentFailure      the machine's failure (Docker down, a build failed): exit 2
    |   +-- DockerUnavailable   the daemon does not answer
    |   +-- ImageBuildError     an image would not build
    |   +-- NodeNeverHealthy    a wait for health ran out; names the node
    +-- Violation               a real finding: an invariant did not hold: exit 1

Every message is one line that says what was expected, what was found and
where, because it is what a person reads at 3 a.m.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_VIOLATION = 1
EXIT_CANNOT_RUN = 2
EXIT_INTERRUPTED = 130


class ChaosError(Exception):
    """Root of the harness's errors; `exit_code` is what the CLI returns."""

    exit_code = EXIT_CANNOT_RUN


class UsageError(ChaosError):
    """The user asked for something that cannot be done as asked."""


class FleetFileError(UsageError):
    """A fleet (Compose-format) file the harness cannot use."""

    def __init__(self, message: str, *, path: str, line: int | None = None, column: int | None = None) -> None:
        where = path if line is None else f"{path}:{line}:{column or 1}"
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.column = path, line, column


class EnvironmentFailure(ChaosError):
    """The machine cannot run the fleet (Docker, images, ports)."""


class DockerUnavailable(EnvironmentFailure):
    """The Docker daemon does not answer."""


class ImageBuildError(EnvironmentFailure):
    """An image of the fleet would not build."""


class NodeNeverHealthy(EnvironmentFailure):
    """A node did not become healthy before its deadline."""


class Violation(ChaosError):
    """An invariant did not hold: the harness found something."""

    exit_code = EXIT_VIOLATION
