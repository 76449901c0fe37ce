"""The vocabulary the scenario model is declared in.

Every model class carries a `Shape`: its YAML keys, each with a `Spec` (type
and constraints) and a doc string, plus the rules between keys (exactly one
of, requires, excludes). Two walkers read the same declaration: `Shape.read`
validates a loaded YAML mapping and builds the frozen dataclass, and
`Shape.schema` emits JSON Schema. Keeping one declaration is what keeps the
editor's schema and the loader from drifting apart.

Validation goes in a fixed order so the first error is always the same one:
for a mapping, its type, then unknown keys in file order, then missing and
conflicting keys, then each value in file order.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import keyword
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from chaos.scenario.error import At, ScenarioError, shown
from chaos.yamlpos import PosDict, PosList

Builder = Callable[[dict[str, Any], At, dict[str, At]], Any]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class Spec:
    """One kind of value: how to check it and how to describe it in JSON Schema."""

    expected: str = "a value"

    def takes(self, value: Any) -> bool:
        """Whether `value` is of the YAML type this spec reads (for AnyOf's dispatch)."""
        return True

    def read(self, value: Any, at: At) -> Any:
        raise NotImplementedError

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class Text(Spec):
    """Non-empty text (unless `min_length=0`), optionally matching `pattern`."""

    def __init__(self, *, pattern: str | None = None, expected: str | None = None, min_length: int = 1) -> None:
        self.pattern = pattern
        self.min_length = min_length
        self.expected = expected or ("text" if pattern is None else f"text matching {pattern}")

    def takes(self, value: Any) -> bool:
        return isinstance(value, str)

    def read(self, value: Any, at: At) -> str:
        if not isinstance(value, str):
            raise at.fail(self.expected, shown(value))
        if len(value.strip()) < self.min_length:
            raise at.fail(self.expected, "empty text")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise at.fail(self.expected, shown(value))
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.min_length:
            out["minLength"] = self.min_length
        if self.pattern is not None:
            out["pattern"] = self.pattern
        return out


class Integer(Spec):
    """A whole number (not a boolean) within optional bounds."""

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, expected: str | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum
        if expected is None:
            if minimum is not None and maximum is not None:
                expected = f"a whole number from {minimum} to {maximum}"
            elif minimum is not None:
                expected = f"a whole number >= {minimum}"
            else:
                expected = "a whole number"
        self.expected = expected

    def takes(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def read(self, value: Any, at: At) -> int:
        if not self.takes(value):
            raise at.fail(self.expected, shown(value))
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise at.fail(self.expected, shown(value))
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


class Number(Spec):
    """A real number; `above` is an exclusive lower bound (a duration > 0)."""

    def __init__(
        self,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        above: float | None = None,
        expected: str | None = None,
    ) -> None:
        self.minimum, self.maximum, self.above = minimum, maximum, above
        if expected is None:
            if minimum is not None and maximum is not None:
                expected = f"a number from {_num(minimum)} to {_num(maximum)}"
            elif above is not None:
                expected = f"a number > {_num(above)}"
            elif minimum is not None:
                expected = f"a number >= {_num(minimum)}"
            else:
                expected = "a number"
        self.expected = expected

    def takes(self, value: Any) -> bool:
        return _is_number(value)

    def read(self, value: Any, at: At) -> float:
        if not _is_number(value) or value != value or value in (float("inf"), float("-inf")):
            raise at.fail(self.expected, shown(value))
        if (
            (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
            or (self.above is not None and value <= self.above)
        ):
            raise at.fail(self.expected, shown(value))
        return float(value)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "number"}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.above is not None:
            out["exclusiveMinimum"] = self.above
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


class Choice(Spec):
    """One of a fixed set of words."""

    def __init__(self, *values: str) -> None:
        self.values = values
        self.expected = "one of " + ", ".join(values)

    def takes(self, value: Any) -> bool:
        return isinstance(value, str)

    def read(self, value: Any, at: At) -> str:
        if value not in self.values or not isinstance(value, str):
            raise at.fail(self.expected, shown(value))
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


class Scalar(Spec):
    """Text, a number or a boolean."""

    expected = "text, a number or true/false"

    def takes(self, value: Any) -> bool:
        return isinstance(value, (str, int, float, bool))

    def read(self, value: Any, at: At) -> str | int | float | bool:
        if not self.takes(value):
            raise at.fail(self.expected, shown(value))
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": ["string", "number", "boolean"]}


class EnvValue(Scalar):
    """A scalar that becomes the text a process sees in its environment."""

    def read(self, value: Any, at: At) -> str:
        value = super().read(value, at)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


class Free(Spec):
    """Anything YAML can say except null; returned as plain dicts, lists and scalars."""

    expected = "a scalar, a list or a mapping"

    def read(self, value: Any, at: At) -> Any:
        if value is None:
            raise at.fail(self.expected, shown(value))
        return plain(value)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": ["string", "number", "boolean", "array", "object"]}


def plain(value: Any) -> Any:
    """A loaded YAML value without its marks, so it can be compared and serialised."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class ListOf(Spec):
    """A list of items of one spec; read into a tuple so the model stays frozen."""

    def __init__(self, item: Spec, *, min_items: int = 0, unique: bool = False) -> None:
        self.item, self.min_items, self.unique = item, min_items, unique
        self.expected = ("a list of at least one item, each " if min_items else "a list, each item ") + item.expected

    def takes(self, value: Any) -> bool:
        return isinstance(value, list)

    def read(self, value: Any, at: At) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise at.fail(self.expected, shown(value))
        if len(value) < self.min_items:
            raise at.fail(self.expected, shown(value))
        marks = value.item_marks if isinstance(value, PosList) else [at.mark] * len(value)
        items = []
        for index, item in enumerate(value):
            item_at = at.item(index, marks[index])
            got = self.item.read(item, item_at)
            if self.unique and got in items:
                raise item_at.fail(f"{self.expected} without repeats", f"{shown(got)} twice")
            items.append(got)
        return tuple(items)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.schema(defs)}
        if self.min_items:
            out["minItems"] = self.min_items
        if self.unique:
            out["uniqueItems"] = True
        return out


class MapOf(Spec):
    """A mapping from free keys (checked by `key`) to values; `name_attr` hands the key to the value."""

    def __init__(self, key: Text, value: Spec, *, name_attr: str | None = None) -> None:
        self.key, self.value, self.name_attr = key, value, name_attr
        self.expected = f"a mapping of {key.expected} to {value.expected}"

    def takes(self, value: Any) -> bool:
        return isinstance(value, dict)

    def read(self, value: Any, at: At) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise at.fail(self.expected, shown(value))
        marks = value.key_marks if isinstance(value, PosDict) else {}
        out = KeyedDict()
        out.key_marks = {}
        for name, item in value.items():
            out.key_marks[name] = marks.get(name, at.mark)
            item_at = at.key(name, marks.get(name, at.mark))
            self.key.read(name, At(item_at.mark, at.path))
            got = self.value.read(item, item_at)
            if self.name_attr is not None:
                got = dataclasses.replace(got, **{self.name_attr: name})
            out[name] = got
        return out

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        key_schema = self.key.schema(defs)
        out: dict[str, Any] = {"type": "object", "additionalProperties": self.value.schema(defs)}
        if "pattern" in key_schema:
            out["propertyNames"] = {"pattern": key_schema["pattern"]}
        return out


class KeyedDict(dict):  # type: ignore[type-arg]
    """A plain dict that also remembers where each key was written (`key_marks`)."""

    key_marks: dict[str, Any]


class AnyOf(Spec):
    """One of several specs, picked by the value's YAML type so errors stay specific."""

    def __init__(self, *options: Spec, expected: str | None = None) -> None:
        self.options = options
        self.expected = expected or " or ".join(o.expected for o in options)

    def takes(self, value: Any) -> bool:
        return any(o.takes(value) for o in self.options)

    def read(self, value: Any, at: At) -> Any:
        fitting = [o for o in self.options if o.takes(value)]
        if not fitting:
            raise at.fail(self.expected, shown(value))
        failures = []
        for option in fitting:
            try:
                return option.read(value, at)
            except ScenarioError as exc:
                failures.append(exc)
        if len(failures) == 1:
            raise failures[0]
        raise at.fail(self.expected, shown(value))

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"anyOf": [o.schema(defs) for o in self.options]}


class Ref(Spec):
    """A nested model object, read through its class's Shape."""

    def __init__(self, model: type) -> None:
        self.model = model

    @property
    def shape(self) -> Shape:
        return self.model.SHAPE

    @property
    def expected(self) -> str:  # type: ignore[override]
        return self.shape.expected

    def takes(self, value: Any) -> bool:
        return isinstance(value, dict)

    def read(self, value: Any, at: At) -> Any:
        return self.shape.read(value, at)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        name = self.shape.name
        if name not in defs:
            defs[name] = {}  # a placeholder first, so a recursive shape terminates
            defs[name] = self.shape.schema(defs)
        return {"$ref": f"#/definitions/{name}"}


@dataclass(frozen=True)
class Key:
    """One YAML key of a Shape; `attr` is its attribute on the dataclass."""

    name: str
    spec: Spec
    doc: str
    required: bool = False
    default: Any = None
    attr: str = ""

    def __post_init__(self) -> None:
        if not self.attr:
            # `with`, `for`, `while` are Python keywords: the attribute gets a trailing underscore.
            object.__setattr__(self, "attr", self.name + "_" if keyword.iskeyword(self.name) else self.name)


@dataclass(frozen=True)
class Shape:
    """A YAML mapping: its keys, the rules between them, and how to build the object."""

    name: str
    doc: str
    keys: tuple[Key, ...]
    build: Builder
    exactly_one: tuple[tuple[str, ...], ...] = ()
    requires: dict[str, tuple[str, ...]] = field(default_factory=dict)
    excludes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    extra_schema: dict[str, Any] = field(default_factory=dict)
    noun: str = ""

    @property
    def expected(self) -> str:
        return f"a {self.noun or self.name.lower()} mapping"

    def key(self, name: str) -> Key:
        return next(k for k in self.keys if k.name == name)

    def read(self, value: Any, at: At) -> Any:
        if not isinstance(value, dict):
            raise at.fail(self.expected, shown(value))
        mapping_mark = getattr(value, "mark", at.mark)
        here = At(mapping_mark, at.path)
        key_marks: dict[str, Any] = getattr(value, "key_marks", {})
        known = [k.name for k in self.keys]
        for name in value:
            if name not in known:
                close = difflib.get_close_matches(str(name), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise At(key_marks.get(name, mapping_mark), at.path).fail(
                    "one of the keys " + ", ".join(known), f"unknown key {name!r}{hint}"
                )
        for group in self.exactly_one:
            present = [k for k in value if k in group]
            if not present:
                raise here.fail("exactly one of the keys " + ", ".join(group), "none of them")
            if len(present) > 1:
                raise At(key_marks.get(present[1], mapping_mark), at.path).fail(
                    "exactly one of the keys " + ", ".join(group), f"both {present[0]!r} and {present[1]!r}"
                )
        for k in self.keys:
            if k.required and k.name not in value:
                raise here.fail(f"the key {k.name!r} ({k.doc.split('.')[0].lower()})", f"no {k.name!r}")
        for name in value:
            for needed in self.requires.get(name, ()):
                if needed not in value:
                    raise At(key_marks.get(name, mapping_mark), at.path).fail(
                        f"{needed!r} beside {name!r}", f"{name!r} without {needed!r}"
                    )
            for banned in self.excludes.get(name, ()):
                if banned in value:
                    raise At(key_marks.get(banned, mapping_mark), at.path).fail(
                        f"no {banned!r} beside {name!r}", f"{banned!r} and {name!r} together"
                    )
        # Both dicts are keyed by the YAML key; builders map them to attributes.
        values: dict[str, Any] = {}
        ats: dict[str, At] = {}
        by_name = {k.name: k for k in self.keys}
        for name, raw in value.items():
            ats[name] = here.key(name, key_marks.get(name, mapping_mark))
            values[name] = by_name[name].spec.read(raw, ats[name])
        for k in self.keys:
            if k.name not in values:
                values[k.name] = copy.copy(k.default)
        return self.build(values, here, ats)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for k in self.keys:
            prop = dict(k.spec.schema(defs))
            if "$ref" in prop:
                # draft-07 ignores siblings of $ref, so the doc goes beside it through allOf.
                prop = {"allOf": [prop]}
            prop["description"] = k.doc
            if k.default is not None and not k.required and _json_default(k.default):
                prop["default"] = k.default
            properties[k.name] = prop
        out: dict[str, Any] = {
            "type": "object",
            "title": self.name,
            "description": self.doc,
            "properties": properties,
            "additionalProperties": False,
        }
        required = [k.name for k in self.keys if k.required]
        if required:
            out["required"] = required
        rules = [{"oneOf": [{"required": [name]} for name in group]} for group in self.exactly_one]
        dependencies: dict[str, Any] = {}
        for name in [k.name for k in self.keys]:
            dep: dict[str, Any] = {}
            if name in self.requires:
                dep["required"] = list(self.requires[name])
            if name in self.excludes:
                dep["not"] = {"anyOf": [{"required": [banned]} for banned in self.excludes[name]]}
            if dep:
                dependencies[name] = dep
        if dependencies:
            out["dependencies"] = dependencies
        rules.extend(self.extra_schema.get("allOf", []))
        if rules:
            out["allOf"] = rules
        out.update({k: v for k, v in self.extra_schema.items() if k != "allOf"})
        return out


def _json_default(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value == {} or value == ()
