"""Conditions: what must be true of the fleet at one instant.

A condition names one quantity of one service or target (`healthy: edge`),
one comparison with a number (`at_least: 0.95`) and optional modifiers. Its
`SHAPE` declares the YAML form; `describe()` puts it in words for verdicts;
`holds_for()` is the one comparison the invariant engine uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from chaos.scenario.error import At, shown
from chaos.scenario.spec import AnyOf, Choice, Integer, Key, MapOf, Number, Ref, Scalar, Shape, Text
from chaos.yamlpos import Mark

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
FIELD_PATH_PATTERN = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"

FRACTION_QUANTITIES = ("healthy", "unhealthy", "serving", "looping")
WINDOW_QUANTITIES = ("error_rate", "wrong_results", "latency_p50", "latency_p99")
COUNT_QUANTITIES = ("restarts",)
QUANTITIES = FRACTION_QUANTITIES + WINDOW_QUANTITIES + COUNT_QUANTITIES
# Quantities whose value is a share of something, so thresholds live in 0..1.
RATIO_QUANTITIES = FRACTION_QUANTITIES + ("error_rate", "wrong_results")
COMPARISONS = {"at_least": ">=", "at_most": "<=", "above": ">", "below": "<", "equals": "=="}
NEGATED = {"at_least": "below", "below": "at_least", "at_most": "above", "above": "at_most"}
DEFAULT_WINDOW = 10.0
# Float slack in comparisons, so 19/20 >= 0.95 holds however the division rounds.
EPSILON = 1e-9

_QUANTITY_DOCS = {
    "healthy": "Fraction (0..1) of the nodes of this service or target whose health check passes.",
    "unhealthy": "Fraction (0..1) of the nodes of this service or target whose health check fails.",
    "serving": "Fraction (0..1) of the nodes whose latest traffic probe succeeded (healthy when no traffic probe runs).",
    "looping": "Fraction (0..1) of the nodes in a restart loop (restart count rose twice in 30 s, or once and unhealthy).",
    "error_rate": "Failed / total traffic requests to these nodes over the window (0 when no requests).",
    "wrong_results": "Fraction of successful responses marked wrong over the window.",
    "latency_p50": "Median latency in seconds of successful requests over the window.",
    "latency_p99": "99th-percentile latency in seconds of successful requests over the window.",
    "restarts": "Restarts of these nodes since the run started.",
}
_COMPARISON_DOCS = {
    "at_least": "The quantity must be >= this number.",
    "at_most": "The quantity must be <= this number.",
    "above": "The quantity must be > this number.",
    "below": "The quantity must be < this number.",
    "equals": "The quantity must equal this number.",
}
_SUBJECT = Text(pattern=NAME_PATTERN, expected="a service or target name")


def marks_of(ats: dict[str, At]) -> dict[str, Mark]:
    """The marks of a mapping's keys, as model objects keep them."""
    return {name: at.mark for name, at in ats.items()}


def compare(comparison: str, value: float, threshold: float) -> bool:
    """`value <comparison> threshold`, with EPSILON of slack for float rounding."""
    if comparison == "at_least":
        return value >= threshold - EPSILON
    if comparison == "at_most":
        return value <= threshold + EPSILON
    if comparison == "above":
        return value > threshold + EPSILON
    if comparison == "below":
        return value < threshold - EPSILON
    if comparison == "equals":
        return abs(value - threshold) <= EPSILON
    raise ValueError(f"expected one of {', '.join(COMPARISONS)}, found {comparison!r}")


# --- conditions --------------------------------------------------------------


@dataclass(frozen=True)
class HealthTest:
    """One test on a node's health JSON: `field` is a dotted path, `comparison` also allows `not`."""

    field: str
    comparison: str
    value: Any

    def matches(self, health: Any) -> bool:
        found = health
        for part in self.field.split("."):
            if not isinstance(found, dict) or part not in found:
                return False
            found = found[part]
        if self.comparison == "equals":
            return found == self.value
        if self.comparison == "not":
            return found != self.value
        numeric = isinstance(found, (int, float)) and not isinstance(found, bool)
        return numeric and compare(self.comparison, found, self.value)

    def describe(self) -> str:
        sign = "!=" if self.comparison == "not" else COMPARISONS[self.comparison]
        number = isinstance(self.value, (int, float)) and not isinstance(self.value, bool)
        return f"{self.field} {sign} {self.value:g}" if number else f"{self.field} {sign} {self.value!r}"


class _FieldComparison:
    """The `{at_least: 1}` form of a `where:` value; reads to (comparison, value) pairs."""

    SHAPE: ClassVar[Shape]


def _build_field_comparison(values: dict[str, Any], here: At, ats: dict[str, At]) -> tuple[tuple[str, Any], ...]:
    pairs = tuple((name, values[name]) for name in ats)
    if not pairs:
        raise here.fail("at least one of at_least, at_most, above, below, equals, not", "an empty mapping")
    return pairs


_FieldComparison.SHAPE = Shape(
    name="FieldTest",
    noun="field comparison",
    doc="Comparisons a health field must pass; all given ones must hold.",
    keys=(
        Key("at_least", Number(), "The field must be a number >= this."),
        Key("at_most", Number(), "The field must be a number <= this."),
        Key("above", Number(), "The field must be a number > this."),
        Key("below", Number(), "The field must be a number < this."),
        Key("equals", Scalar(), "The field must equal this."),
        Key("not", Scalar(), "The field must exist and differ from this."),
    ),
    build=_build_field_comparison,
    extra_schema={"minProperties": 1},
)


@dataclass(frozen=True)
class Condition:
    """A statement about the fleet at one instant: `<quantity> of <subject> <comparison> <value>`."""

    quantity: str
    subject: str
    comparison: str
    value: float
    on_version: int | str | None = None
    where: tuple[HealthTest, ...] = ()
    window: float | None = None
    mark: Mark | None = field(default=None, compare=False, repr=False)
    marks: dict[str, Mark] = field(default_factory=dict, compare=False, repr=False)

    SHAPE: ClassVar[Shape]

    def __post_init__(self) -> None:
        if self.quantity not in QUANTITIES:
            raise ValueError(f"expected a quantity among {', '.join(QUANTITIES)}, found {self.quantity!r}")
        if self.comparison not in COMPARISONS:
            raise ValueError(f"expected a comparison among {', '.join(COMPARISONS)}, found {self.comparison!r}")
        if self.window is None and self.quantity in WINDOW_QUANTITIES:
            object.__setattr__(self, "window", DEFAULT_WINDOW)

    def holds_for(self, value: float) -> bool:
        """Whether a measured value of the quantity satisfies this condition."""
        return compare(self.comparison, value, self.value)

    def negated(self) -> Condition:
        """The condition that holds exactly when this one does not (not defined for `equals`)."""
        if self.comparison not in NEGATED:
            raise ValueError(f"expected a comparison other than equals to negate, found {self.comparison!r}")
        return Condition(
            self.quantity,
            self.subject,
            NEGATED[self.comparison],
            self.value,
            on_version=self.on_version,
            where=self.where,
            window=self.window,
            mark=self.mark,
            marks=self.marks,
        )

    def describe(self) -> str:
        """The condition in words, e.g. `healthy fraction of edge >= 0.95 on version baseline`."""
        sign = COMPARISONS[self.comparison]
        if self.quantity in FRACTION_QUANTITIES:
            text = f"{self.quantity} fraction of {self.subject} {sign} {self.value:g}"
            if self.on_version is not None:
                text += f" on version {self.on_version}"
            if self.where:
                text += " where " + " and ".join(t.describe() for t in self.where)
            return text
        if self.quantity in ("latency_p50", "latency_p99"):
            return f"{self.quantity[-3:]} latency of {self.subject} over {self.window:g}s {sign} {self.value:g}s"
        if self.quantity in WINDOW_QUANTITIES:
            return f"{self.quantity.replace('_', ' ')} of {self.subject} over {self.window:g}s {sign} {self.value:g}"
        return f"restarts of {self.subject} since the start {sign} {self.value:g}"


def _build_condition(values: dict[str, Any], here: At, ats: dict[str, At]) -> Condition:
    quantity = next(q for q in QUANTITIES if values[q] is not None)
    comparison = next(c for c in COMPARISONS if values[c] is not None)
    value = values[comparison]
    at = ats[comparison]
    if quantity in RATIO_QUANTITIES:
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            hint = " (fractions are 0..1: 95% is 0.95)" if isinstance(value, (int, float)) and value > 1 else ""
            raise at.fail(f"a fraction from 0 to 1 for {quantity}", shown(value) + hint)
    elif value < 0:
        what = "a number of seconds >= 0" if quantity.startswith("latency") else "a count >= 0"
        raise at.fail(f"{what} for {quantity}", shown(value))
    for modifier in ("on_version", "where"):
        if values[modifier] is not None and quantity not in FRACTION_QUANTITIES:
            raise ats[modifier].fail(
                f"{modifier} only with {', '.join(FRACTION_QUANTITIES)}", f"{modifier} with {quantity}"
            )
    if values["window"] is not None and quantity not in WINDOW_QUANTITIES:
        raise ats["window"].fail(f"window only with {', '.join(WINDOW_QUANTITIES)}", f"window with {quantity}")
    where: list[HealthTest] = []
    for path, test in (values["where"] or {}).items():
        pairs = test if isinstance(test, tuple) else (("equals", test),)
        where.extend(HealthTest(path, comparison_, expected) for comparison_, expected in pairs)
    return Condition(
        quantity=quantity,
        subject=values[quantity],
        comparison=comparison,
        value=float(value),
        on_version=values["on_version"],
        where=tuple(where),
        window=values["window"],
        mark=here.mark,
        marks=marks_of(ats),
    )


Condition.SHAPE = Shape(
    name="Condition",
    doc=(
        "A condition on the fleet at one instant. Exactly one quantity key naming a service or target, "
        "exactly one comparison key with a number, and optional modifiers."
    ),
    keys=(
        *(Key(q, _SUBJECT, _QUANTITY_DOCS[q]) for q in QUANTITIES),
        *(Key(c, Number(), _COMPARISON_DOCS[c]) for c in COMPARISONS),
        Key(
            "on_version",
            AnyOf(Integer(minimum=0), Choice("baseline", "latest"), expected="a version number, baseline or latest"),
            "Fraction quantities only: the node must also be on this config version (baseline: the version most "
            "nodes were on at the first steady-state check; latest: the highest seen on a node of the service).",
        ),
        Key(
            "where",
            MapOf(
                Text(pattern=FIELD_PATH_PATTERN, expected="a dotted health field path"),
                AnyOf(Scalar(), Ref(_FieldComparison), expected="a value or a mapping of comparisons"),
            ),
            "Fraction quantities only: health fields (dotted paths into the node's health JSON) the node must also "
            "have; a plain value means equals.",
        ),
        Key("window", Number(above=0, expected="a number of seconds > 0"), "Window quantities only: seconds of traffic to look at (default 10)."),
    ),
    build=_build_condition,
    exactly_one=(QUANTITIES, tuple(COMPARISONS)),
    extra_schema={
        "allOf": [
            {
                "if": {"anyOf": [{"required": [q]} for q in RATIO_QUANTITIES]},
                "then": {"properties": {c: {"minimum": 0, "maximum": 1} for c in COMPARISONS}},
            },
            {
                "if": {"anyOf": [{"required": [m]} for m in ("on_version", "where")]},
                "then": {"anyOf": [{"required": [q]} for q in FRACTION_QUANTITIES]},
            },
            {
                "if": {"required": ["window"]},
                "then": {"anyOf": [{"required": [q]} for q in WINDOW_QUANTITIES]},
            },
        ]
    },
)


