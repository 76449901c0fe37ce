"""Go-like JSON decoding and float32 formatting, property-tested."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaos.toxiproxy._gojson import (
    BOOL,
    FLOAT32,
    INT64,
    OBJECT,
    STRING,
    DecodeError,
    decode_fields,
    float32_json,
    parse_body,
    to_float32,
)

FIELDS = {"name": STRING, "enabled": BOOL, "count": INT64, "share": FLOAT32, "extra": OBJECT}


@settings(max_examples=500, deadline=None)
@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_float32_is_written_shortest_and_reads_back_exactly(value: float) -> None:
    written = float32_json(value)
    assert to_float32(float(written)) == value
    assert len(repr(written)) <= len(repr(value))


@settings(max_examples=300, deadline=None)
@given(st.integers())
def test_int64_fields_take_exactly_the_int64_range(number: int) -> None:
    body = parse_body(b'{"count": %d}' % number) if abs(number) < 10**4000 else None
    if body is None:
        return
    if -(2**63) <= number < 2**63:
        assert decode_fields(body, FIELDS, struct_name="T") == {"count": number}
    else:
        with pytest.raises(DecodeError, match="cannot unmarshal number"):
            decode_fields(body, FIELDS, struct_name="T")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"NAME": "a", "Enabled": true, "unknown": [1, {}]}', {"name": "a", "enabled": True}),
        (b'{"name": "a", "name": "b"}', {"name": "b"}),
        (b'{"Name": "a", "name": null}', {"name": "a"}),
        (b'{"share": 1}', {"share": 1.0}),
        (b'{"share": 0.1}', {"share": to_float32(0.1)}),
        (b'{"extra": {"any": "thing"}} trailing', {"extra": [("any", "thing")]}),
        (b"null", {}),
        (b'{"name": "\\ud800"}', {"name": "\ufffd"}),
    ],
)
def test_decoding_follows_go(raw: bytes, expected: dict) -> None:
    assert decode_fields(parse_body(raw), FIELDS, struct_name="T") == expected


@pytest.mark.parametrize(
    "raw",
    [b"", b" ", b"{", b"NaN", b'{"share": Infinity}', b'{"count": 1.0}', b'{"count": 1e2}', b'{"count": true}', b'{"name": 1}',
     b'{"enabled": "true"}', b'{"share": "1"}', b'{"share": 1e39}', b'{"extra": []}', b"[]", b'"x"', b"[" * 50000],
)
def test_decoding_refuses_what_go_refuses(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_fields(parse_body(raw), FIELDS, struct_name="T")


def test_float32_overflow_is_an_error_not_infinity() -> None:
    with pytest.raises(OverflowError):
        to_float32(3.5e38)
    assert math.isfinite(to_float32(3.4028235e38))
