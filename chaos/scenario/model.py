"""The scenario as frozen dataclasses, each declaring its YAML shape.

A class's `SHAPE` (see `spec.py`) is the single declaration of its keys,
types, constraints and docs: the loader validates with it and `schema.py`
turns it into the JSON Schema editors use. Every object keeps `mark` (where
its mapping starts) and `marks` (where each of its keys sits), so the runner
and the pytest plugin can point a person at a step's or an invariant's line.

Attribute names follow the YAML keys; the keys that are Python keywords get
a trailing underscore (`with_`, `for_`, `while_`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Union

from chaos.scenario.condition import (
    COMPARISONS,
    COUNT_QUANTITIES,
    DEFAULT_WINDOW,
    EPSILON,
    FRACTION_QUANTITIES,
    NAME_PATTERN,
    NEGATED,
    QUANTITIES,
    RATIO_QUANTITIES,
    WINDOW_QUANTITIES,
    Condition,
    HealthTest,
    compare,
    marks_of,
)
from chaos.scenario.error import At, shown
from chaos.scenario.selection import ALL, Selection, SelectionSpec
from chaos.scenario.spec import AnyOf, Choice, EnvValue, Free, Integer, Key, ListOf, MapOf, Number, Ref, Shape, Text
from chaos.yamlpos import Mark

STEP_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"

FAULT_KINDS = (
    "kill",
    "pause",
    "restart",
    "disconnect",
    "latency",
    "bandwidth",
    "blackhole",
    "reset_peer",
    "slicer",
    "limit_data",
    "control_plane_unreachable",
)
OPERATORS = ("always", "never", "eventually")

_SUBJECT = Text(pattern=NAME_PATTERN, expected="a service or target name")

__all__ = [
    "COMPARISONS", "COUNT_QUANTITIES", "DEFAULT_WINDOW", "EPSILON", "FAULT_KINDS", "FRACTION_QUANTITIES", "NEGATED",
    "OPERATORS", "QUANTITIES", "RATIO_QUANTITIES", "WINDOW_QUANTITIES", "Condition", "Fault", "Fleet", "HealthTest",
    "Invariant", "Observe", "Scenario", "Step", "Target", "Traffic", "Wait", "compare",
    "FUZZ_DIMENSIONS", "FUZZ_STRATEGIES", "Fuzz", "FuzzBounds",
]


# --- fleet, observation, targets ---------------------------------------------


@dataclass(frozen=True)
class Fleet:
    """The fleet file and what the scenario changes in it.

    `file` is resolved against the scenario file's folder. `services` holds the
    service names the loader read from the fleet file (empty when it could not
    read them; the fleet loader then reports the file itself).
    """

    file: Path
    replicas: dict[str, int] = field(default_factory=dict)
    environment: dict[str, dict[str, str]] = field(default_factory=dict)
    services: tuple[str, ...] = ()
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]


def _build_fleet(values: dict[str, Any], here: At, ats: dict[str, At]) -> Fleet:
    resolved = (Path(here.mark.path).parent / values["file"]).resolve()
    if not resolved.is_file():
        raise ats["file"].fail("an existing fleet file (relative to the scenario file)", f"no file at {resolved}")
    return Fleet(resolved, values["replicas"], values["environment"], mark=here.mark, marks=marks_of(ats))


_SERVICE = Text(pattern=NAME_PATTERN, expected="a service name")
Fleet.SHAPE = Shape(
    name="Fleet",
    doc="The fleet to start: a Compose-format file and changes to it.",
    keys=(
        Key("file", Text(expected="a path to the fleet file"), "The fleet file, relative to the scenario file.", required=True),
        Key(
            "replicas",
            MapOf(_SERVICE, Integer(minimum=0, maximum=200)),
            "Number of nodes per service (0..200), overriding the fleet file.",
            default={},
        ),
        Key(
            "environment",
            MapOf(_SERVICE, MapOf(Text(pattern=ENV_NAME_PATTERN, expected="an environment variable name"), EnvValue())),
            "Extra environment variables per service; values become text.",
            default={},
        ),
    ),
    build=_build_fleet,
)


@dataclass(frozen=True)
class Traffic:
    """The traffic probe: `rate` requests per second to each node of `service`."""

    service: str
    rate: float = 4.0
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]


Traffic.SHAPE = Shape(
    name="Traffic",
    doc="A traffic probe sending requests to each node of one service.",
    keys=(
        Key("service", _SERVICE, "The service whose nodes get traffic.", required=True),
        Key("rate", Number(minimum=0.1, maximum=50), "Requests per second per node (0.1..50).", default=4.0),
    ),
    build=lambda v, here, ats: Traffic(v["service"], v["rate"], mark=here.mark, marks=marks_of(ats)),
)


@dataclass(frozen=True)
class Observe:
    """How the recorder watches the fleet."""

    interval: float = 0.25
    traffic: Traffic | None = None
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]


Observe.SHAPE = Shape(
    name="Observe",
    doc="How the fleet is watched.",
    keys=(
        Key("interval", Number(minimum=0.1, maximum=5), "Seconds between samples of each node (0.1..5).", default=0.25),
        Key("traffic", Ref(Traffic), "Optional traffic probe; without it there is no traffic and serving means healthy."),
    ),
    build=lambda v, here, ats: Observe(v["interval"], v["traffic"], mark=here.mark, marks=marks_of(ats)),
)


@dataclass(frozen=True)
class Target:
    """A named selection of the nodes of one service."""

    name: str
    service: str
    select: Selection = ALL
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]


Target.SHAPE = Shape(
    name="Target",
    doc="A selection of the nodes of one service, chosen with the scenario's seed.",
    keys=(
        Key("service", _SERVICE, "The service whose nodes are selected.", required=True),
        Key("select", SelectionSpec(), "ALL, COUNT(n), PERCENT(n) (0..100), or a list of node names. Default ALL.", default=ALL),
    ),
    # The name is the mapping key above this one; MapOf fills it in.
    build=lambda v, here, ats: Target("", v["service"], v["select"], mark=here.mark, marks=marks_of(ats)),
)


# --- steps -------------------------------------------------------------------


@dataclass(frozen=True)
class Wait:
    """Wait a duration (`for_`) or until a condition holds (`until`, bounded by `timeout`)."""

    for_: float | None = None
    until: Condition | None = None
    timeout: float | None = None
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]


_SECONDS = Number(above=0, expected="a number of seconds > 0")
Wait.SHAPE = Shape(
    name="Wait",
    doc="Wait a duration, or until a condition holds with a timeout.",
    keys=(
        Key("for", _SECONDS, "Seconds to wait."),
        Key("until", Ref(Condition), "Wait until this condition holds."),
        Key("timeout", _SECONDS, "Seconds to wait at most for `until`; required with it."),
    ),
    build=lambda v, here, ats: Wait(v["for"], v["until"], v["timeout"], mark=here.mark, marks=marks_of(ats)),
    exactly_one=(("for", "until"),),
    requires={"until": ("timeout",)},
    excludes={"for": ("timeout",)},
)


@dataclass(frozen=True)
class Fault:
    """Something done to nodes: `kind` applied to the nodes of `target` (a target or service name)."""

    kind: str
    target: str
    params: dict[str, Any] = field(default_factory=dict)
    link: str | None = None
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]


Fault.SHAPE = Shape(
    name="Fault",
    doc="A fault applied to the nodes of a target or a service.",
    keys=(
        Key("kind", Choice(*FAULT_KINDS), "What to do to the nodes.", required=True),
        Key("target", _SUBJECT, "A target name or a service name.", required=True),
        Key("params", MapOf(Text(), Free()), "Parameters of the fault, e.g. {latency: 2000, jitter: 100}.", default={}),
        Key("link", Text(), "The link (service to service connection) a network fault applies to."),
    ),
    build=lambda v, here, ats: Fault(v["kind"], v["target"], v["params"], v["link"], mark=here.mark, marks=marks_of(ats)),
)


@dataclass(frozen=True)
class Step:
    """One step: exactly one of an `action`, a `wait` or a `fault`.

    `heal` (fault steps only) is `end` (healed in the clean-up phase), `never`,
    or the id of a later step (healed when that step starts).
    """

    id: str
    action: str | None = None
    with_: dict[str, Any] = field(default_factory=dict)
    wait: Wait | None = None
    fault: Fault | None = None
    heal: str | None = None
    on_violation: str = "continue"
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]

    @property
    def kind(self) -> str:
        """`action`, `wait` or `fault`."""
        return "action" if self.action is not None else "wait" if self.wait is not None else "fault"


def _build_step(v: dict[str, Any], here: At, ats: dict[str, At]) -> Step:
    heal = v["heal"] if v["heal"] is not None else ("end" if v["fault"] is not None else None)
    return Step(
        v["id"], v["action"], v["with"], v["wait"], v["fault"], heal, v["on_violation"], mark=here.mark, marks=marks_of(ats)
    )


Step.SHAPE = Shape(
    name="Step",
    doc="One step of the scenario: an action, a wait or a fault.",
    keys=(
        Key("id", Text(pattern=STEP_ID_PATTERN, expected="a step id like push-oversized"), "Unique id of the step.", required=True),
        Key("action", Text(), "An action declared in the fleet file."),
        Key("with", MapOf(Text(), Free()), "Parameters for the action.", default={}),
        Key("wait", Ref(Wait), "Wait a duration or until a condition."),
        Key("fault", Ref(Fault), "Apply a fault."),
        Key(
            "heal",
            AnyOf(Choice("end", "never"), Text(pattern=STEP_ID_PATTERN, expected="a step id"), expected="end, never or a later step id"),
            "When the fault is healed: end (clean-up phase, the default), never, or when a later step starts.",
        ),
        Key("on_violation", Choice("continue", "stop"), "What to do when a stop condition is violated.", default="continue"),
    ),
    build=_build_step,
    exactly_one=(("action", "wait", "fault"),),
    requires={"with": ("action",), "heal": ("fault",)},
)


# --- invariants --------------------------------------------------------------


@dataclass(frozen=True)
class Invariant:
    """A temporal property: `operator` (always | never | eventually) applied to `condition`.

    The range checked starts at `after` (a step id: its start) or at the start of
    the run, ends at `until` (a step id: its start, or a Condition: the first
    instant it holds) or at `after + within`, and `while_` restricts it to the
    instants where that condition holds.
    """

    name: str
    operator: str
    condition: Condition
    within: float | None = None
    after: str | None = None
    until: Union[str, Condition, None] = None
    while_: Condition | None = None
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise ValueError(f"expected an operator among {', '.join(OPERATORS)}, found {self.operator!r}")

    def describe(self) -> str:
        """The invariant in words, e.g. `eventually healthy fraction of edge >= 0.95 within 60s after rollback`."""
        text = f"{self.operator} {self.condition.describe()}"
        if self.within is not None:
            text += f" within {self.within:g}s"
        if self.after is not None:
            text += f" after step {self.after}"
        if isinstance(self.until, str):
            text += f" until step {self.until}"
        elif self.until is not None:
            text += f" until {self.until.describe()}"
        if self.while_ is not None:
            text += f" while {self.while_.describe()}"
        return text


def _build_invariant(v: dict[str, Any], here: At, ats: dict[str, At]) -> Invariant:
    operator = next(o for o in OPERATORS if v[o] is not None)
    return Invariant(
        v["name"], operator, v[operator], v["within"], v["after"], v["until"], v["while"], mark=here.mark, marks=marks_of(ats)
    )


Invariant.SHAPE = Shape(
    name="Invariant",
    doc="A temporal property checked over the timeline: always, never or eventually a condition.",
    keys=(
        Key("name", Text(), "Unique name of the invariant.", required=True),
        Key("always", Ref(Condition), "The condition holds at every checked instant."),
        Key("never", Ref(Condition), "The condition holds at no checked instant."),
        Key("eventually", Ref(Condition), "The condition holds at some instant within `within` seconds after `after`."),
        Key("within", _SECONDS, "Seconds after `after` (or the start): the deadline of eventually, the window of always/never."),
        Key("after", Text(pattern=STEP_ID_PATTERN, expected="a step id"), "A step id: checking starts when that step starts."),
        Key(
            "until",
            AnyOf(Text(pattern=STEP_ID_PATTERN, expected="a step id"), Ref(Condition), expected="a step id or a condition"),
            "always/never only: checking stops when this step starts or this condition first holds.",
        ),
        Key("while", Ref(Condition), "always/never only: only instants where this condition holds are checked."),
    ),
    build=_build_invariant,
    exactly_one=(OPERATORS,),
    requires={"eventually": ("within", "after")},
    excludes={"eventually": ("until", "while")},
)


# --- fuzzing -----------------------------------------------------------------

FUZZ_STRATEGIES = ("feature_files", "fleet_steps")
# What a drawn feature file may vary besides its row count (see chaos/fuzz/feature_spec.py).
FUZZ_DIMENSIONS = ("duplicates", "names", "weights", "fields", "order", "encoding", "size", "malformed")


@dataclass(frozen=True)
class FuzzBounds:
    """The arguments of the fuzz strategy: where the limit is believed to be, and what may vary."""

    limit: int = 200
    max_rows: int | None = None
    max_bytes: int = 262144
    counts: str = "any"
    vary: tuple[str, ...] = FUZZ_DIMENSIONS
    max_steps: int = 4
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]


FuzzBounds.SHAPE = Shape(
    name="FuzzBounds",
    noun="fuzz bounds",
    doc="The arguments of the fuzz strategy.",
    keys=(
        Key("limit", Integer(minimum=1), "The feature limit the fleet is believed to have; row counts cluster around it.",
            default=200),
        Key("max_rows", Integer(minimum=0), "Most feature rows in a drawn file (default 25 x limit)."),
        Key("max_bytes", Integer(minimum=64), "Byte size that long names and padding stay within.", default=262144),
        Key("counts", Choice("any", "boundaries"),
            "any: any row count up to max_rows, shrunk to the exact smallest that fails; boundaries: only 0, 1, "
            "limit-1, limit, limit+1, 2 x limit and max_rows (fewer, cheaper shrinks; for fleet_steps).",
            default="any"),
        Key("vary", ListOf(Choice(*FUZZ_DIMENSIONS), unique=True),
            "What a drawn file may vary besides its row count (default: all of " + ", ".join(FUZZ_DIMENSIONS) + ").",
            default=FUZZ_DIMENSIONS),
        Key("max_steps", Integer(minimum=1, maximum=50), "fleet_steps: most steps in one drawn sequence.", default=4),
    ),
    build=lambda v, here, ats: FuzzBounds(v["limit"], v["max_rows"], v["max_bytes"], v["counts"], v["vary"],
                                          v["max_steps"], mark=here.mark, marks=marks_of(ats)),
)


@dataclass(frozen=True)
class Fuzz:
    """Property-based fuzzing of the scenario against one warm fleet.

    `feature_files`: every example runs the steps, the step `step` pushing a
    drawn feature file, then watches the fleet for `settle` seconds; the
    invariants named in `invariants` (all, when empty) must hold for every
    example. `fleet_steps`: a state machine draws sequences of the steps
    (each step is a move it may repeat, with a drawn file or drawn nodes) and
    checks the invariants after each move.
    """

    strategy: str
    bounds: FuzzBounds = field(default_factory=FuzzBounds)
    step: str | None = None
    invariants: tuple[str, ...] = ()
    max_examples: int = 100
    settle: float = 1.0
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]


Fuzz.SHAPE = Shape(
    name="Fuzz",
    doc="Property-based fuzzing (Hypothesis) against one warm fleet: what is drawn, and what must hold.",
    keys=(
        Key("strategy", Choice(*FUZZ_STRATEGIES),
            "feature_files: each example pushes a drawn feature file; fleet_steps: a state machine draws "
            "sequences of the steps.", required=True),
        Key("bounds", Ref(FuzzBounds), "The arguments of the strategy."),
        Key("step", Text(pattern=STEP_ID_PATTERN, expected="a step id"),
            "feature_files: the action step whose body is the drawn file (default: the first step whose action "
            "takes a file)."),
        Key("invariants", ListOf(Text(), unique=True),
            "Names of the invariants every example must keep (default: all of them).", default=()),
        Key("max_examples", Integer(minimum=1, maximum=100000),
            "Examples to run (the ci profile lowers it, nightly raises it).", default=100),
        Key("settle", Number(minimum=0.1, maximum=60),
            "Seconds the fleet is watched after an example's steps (or after each fleet_steps move).", default=1.0),
    ),
    build=lambda v, here, ats: Fuzz(v["strategy"], v["bounds"] or FuzzBounds(mark=here.mark), v["step"],
                                    v["invariants"], v["max_examples"], v["settle"], mark=here.mark,
                                    marks=marks_of(ats)),
)


def _check_fuzz(fuzz: Fuzz, steps: tuple[Step, ...], invariants: tuple[Invariant, ...], at: At) -> None:
    """The step and invariants the fuzz block names must exist (where: the fuzz block's keys)."""
    ids = [s.id for s in steps]
    if fuzz.step is not None and fuzz.step not in ids:
        mark = fuzz.marks.get("step", fuzz.mark) or at.mark
        raise At(mark, "fuzz.step").fail("a step id (" + ", ".join(ids) + ")", shown(fuzz.step))
    names = [i.name for i in invariants]
    for index, name in enumerate(fuzz.invariants):
        if name not in names:
            mark = fuzz.marks.get("invariants", fuzz.mark) or at.mark
            expected = "an invariant name (" + ", ".join(names) + ")"
            raise At(mark, f"fuzz.invariants[{index}]").fail(expected, shown(name))


# --- the scenario ------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One scenario file, validated. `path` is the file it came from."""

    path: Path
    title: str
    fleet: Fleet
    steps: tuple[Step, ...]
    invariants: tuple[Invariant, ...]
    description: str = ""
    seed: int = 0
    expect: str = "hold"
    observe: Observe = field(default_factory=Observe)
    targets: dict[str, Target] = field(default_factory=dict)
    steady_state: tuple[Condition, ...] = ()
    cleanup: str = "always"
    stop_conditions: tuple[Invariant, ...] = ()
    fuzz: Fuzz | None = None
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]

    @property
    def step_ids(self) -> list[str]:
        return [s.id for s in self.steps]

    def step(self, step_id: str) -> Step:
        """The step with this id; KeyError names the known ids."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(f"expected a step id among {', '.join(self.step_ids)}, found {step_id!r}")


def _build_scenario(v: dict[str, Any], here: At, ats: dict[str, At]) -> Scenario:
    if v["fuzz"] is not None:
        _check_fuzz(v["fuzz"], v["steps"], v["invariants"], ats["fuzz"])
    return Scenario(
        path=Path(here.mark.path),
        title=v["title"],
        fleet=v["fleet"],
        steps=v["steps"],
        invariants=v["invariants"],
        description=v["description"],
        seed=v["seed"],
        expect=v["expect"],
        observe=v["observe"] or Observe(mark=here.mark),
        targets=v["targets"],
        steady_state=v["steady_state"],
        cleanup=v["cleanup"],
        stop_conditions=v["stop_conditions"],
        fuzz=v["fuzz"],
        mark=here.mark,
        marks=marks_of(ats),
    )


Scenario.SHAPE = Shape(
    name="chaos-fleet scenario",
    noun="scenario",
    doc="One chaos-fleet scenario: a fleet, the steps that break it, and the invariants it must keep.",
    keys=(
        Key("title", Text(), "What the scenario shows, in a few words.", required=True),
        Key("description", Text(min_length=0), "Longer text: the story, the outage it replays.", default=""),
        Key("seed", Integer(minimum=0), "Seed for every random choice (target selection, fuzzing).", default=0),
        Key(
            "expect",
            Choice("hold", "violation"),
            "hold: every invariant must hold. violation: the scenario demonstrates a broken design and passes "
            "when at least one invariant is violated.",
            default="hold",
        ),
        Key("fleet", Ref(Fleet), "The fleet to start.", required=True),
        Key("observe", Ref(Observe), "How the fleet is watched."),
        Key("targets", MapOf(Text(pattern=NAME_PATTERN, expected="a target name"), Ref(Target), name_attr="name"), "Named selections of nodes.", default={}),
        Key("steady_state", ListOf(Ref(Condition)), "Conditions that must all hold before the steps and after the heals.", default=()),
        Key("steps", ListOf(Ref(Step), min_items=1), "What happens, in order.", required=True),
        Key(
            "cleanup",
            Choice("always", "never"),
            "always: heals and rollbacks run even after a violation or Ctrl-C; never: leave the fleet as it is.",
            default="always",
        ),
        Key("stop_conditions", ListOf(Ref(Invariant)), "Invariants checked live; a violation aborts the run.", default=()),
        Key("invariants", ListOf(Ref(Invariant), min_items=1), "Invariants checked over the timeline.", required=True),
        Key("fuzz", Ref(Fuzz), "Optional: fuzz the scenario with Hypothesis instead of running its steps once."),
    ),
    build=_build_scenario,
)

MODELS: tuple[type, ...] = (Scenario, Fleet, Observe, Traffic, Target, Step, Wait, Fault, Condition, Invariant, Fuzz,
                            FuzzBounds)
