"""Request bodies decoded the way Go's encoding/json decodes them.

Every client of Toxiproxy was written against the Go server, so what is
lenient and what is strict follows Go, not Python's json module:

- only the first JSON value of a body counts; trailing bytes are ignored;
- object keys match fields case-insensitively, unknown keys are ignored,
  and a `null` leaves a field as it was;
- a wrong JSON type is an error, and so is `100.0`, `1e2` or `true` where an
  int64 is expected, an integer outside int64, a float32 that overflows, and
  the non-JSON constants `NaN` / `Infinity` that Python would accept.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping

STRING = "string"
BOOL = "bool"
INT64 = "int64"
FLOAT32 = "float32"
OBJECT = "object"

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_JSON_SPACE = " \t\r\n"


class DecodeError(ValueError):
    """A body that Go would refuse; the message follows Go's wording."""


class Pairs(list):  # type: ignore[type-arg]
    """A JSON object as its (key, value) pairs, in order, duplicates kept."""


class FloatToken(str):
    """A JSON number written with a fraction or an exponent, kept as text."""

    __slots__ = ()


def _reject_constant(name: str) -> object:
    raise DecodeError(f"invalid character '{name[0]}' looking for beginning of value")


_DECODER = json.JSONDecoder(object_pairs_hook=Pairs, parse_float=FloatToken, parse_constant=_reject_constant)


def parse_body(raw: bytes) -> object:
    """Return the first JSON value of `raw`, or raise DecodeError."""
    text = raw.decode("utf-8", "replace")
    start = len(text) - len(text.lstrip(_JSON_SPACE))
    if start == len(text):
        raise DecodeError("EOF")
    try:
        value, _ = _DECODER.raw_decode(text, start)
    except DecodeError:
        raise
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text):
            raise DecodeError("unexpected EOF") from None
        raise DecodeError(f"invalid JSON at offset {exc.pos}: {exc.msg}") from None
    except (ValueError, RecursionError, OverflowError) as exc:
        raise DecodeError(f"invalid JSON: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    return value


def json_kind(value: object) -> str:
    """The JSON type of a decoded value, as Go names it in its errors."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, FloatToken)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Pairs):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null"


def clean_text(text: str) -> str:
    """Replace lone surrogates (legal in JSON escapes) with U+FFFD, as Go does."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _convert(value: object, kind: str) -> object:
    """Convert one JSON value to a field of `kind`; raise TypeError when Go would refuse it."""
    if kind == STRING:
        if isinstance(value, str) and not isinstance(value, FloatToken):
            return clean_text(value)
    elif kind == BOOL:
        if type(value) is bool:
            return value
    elif kind == INT64:
        if type(value) is int and _INT64_MIN <= value <= _INT64_MAX:
            return value
    elif kind == FLOAT32:
        if isinstance(value, (int, FloatToken)) and not isinstance(value, bool):
            try:
                return to_float32(float(value))
            except (OverflowError, ValueError):
                pass
    elif kind == OBJECT:
        if isinstance(value, Pairs):
            return value
    raise TypeError(kind)


def decode_fields(value: object, fields: Mapping[str, str], *, struct_name: str) -> dict[str, object]:
    """Return the fields that `value` sets (non-null), keyed by their canonical name.

    Like Go, a type error in one field does not stop the others from being
    read, but the first one is what gets reported.
    """
    if value is None:
        return {}
    if not isinstance(value, Pairs):
        raise DecodeError(f"json: cannot unmarshal {json_kind(value)} into Go value of type {struct_name}")
    folded = {name.casefold(): name for name in fields}
    found: dict[str, object] = {}
    first_error: str | None = None
    for key, item in value:
        field = key if key in fields else folded.get(key.casefold())
        if field is None or item is None:
            continue
        try:
            found[field] = _convert(item, fields[field])
        except TypeError:
            shown = json_kind(item)
            if shown == "number" and fields[field] in (INT64, FLOAT32):
                shown = f"number {item}"
            first_error = first_error or (
                f"json: cannot unmarshal {shown} into Go struct field {struct_name}.{field} of type {fields[field]}"
            )
    if first_error:
        raise DecodeError(first_error)
    return found


def to_float32(value: float) -> float:
    """Round to the nearest float32; OverflowError if it does not fit (as Go's ParseFloat(s, 32))."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def float32_json(value: float) -> int | float:
    """The shortest number that reads back as the same float32, the way Go writes it (1, 0.5)."""
    if value == 0:
        return 0
    text = repr(value)
    for digits in range(1, 10):
        candidate = f"{value:.{digits}g}"
        try:
            if to_float32(float(candidate)) == value:
                text = candidate
                break
        except OverflowError:
            continue  # rounded past float32's largest value

    shortest = float(text)
    if shortest.is_integer() and abs(shortest) < 1e21:
        return int(shortest)
    return shortest


def dumps(value: object) -> bytes:
    """Compact JSON, UTF-8, as Go's json.Marshal writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
