"""Feature file specs: the bytes each choice renders to, and what a strict reader makes of them."""

from __future__ import annotations

import json

import pytest

from chaos.fuzz.feature_spec import (
    BROKEN_ENCODINGS,
    BROKEN_SHAPES,
    NAME_STYLES,
    VALID_ENCODINGS,
    WEIGHT_STYLES,
    FeatureFileSpec,
)


def strict_rows(raw: bytes) -> list[dict]:
    """What the reference fleet's reader accepts: UTF-8 JSON, an object with a list of rows with text names."""
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise ValueError("no features list")
    for row in data["features"]:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise ValueError("a row without a text name")
    return data["features"]


def test_a_plain_file_has_exactly_its_rows_and_unique_names() -> None:
    rows = strict_rows(FeatureFileSpec(201).render())
    assert len(rows) == 201
    assert len({r["name"] for r in rows}) == 201


def test_duplicates_count_among_the_rows_and_repeat_earlier_ones() -> None:
    rows = strict_rows(FeatureFileSpec(10, duplicates=4).render())
    assert len(rows) == 10
    assert rows[6:] == rows[:4]
    same_name = strict_rows(FeatureFileSpec(10, duplicates=4, duplicate_style="same-name").render())
    assert [r["name"] for r in same_name[6:]] == [r["name"] for r in same_name[:4]]
    assert all(isinstance(r["weight"], str) for r in same_name[6:])


def test_interleaved_duplicates_follow_their_originals() -> None:
    rows = strict_rows(FeatureFileSpec(5, duplicates=2, order="interleaved").render())
    assert [r["name"] for r in rows] == ["feature_00000", "feature_00000", "feature_00001", "feature_00001",
                                         "feature_00002"]


@pytest.mark.parametrize("names", NAME_STYLES)
@pytest.mark.parametrize("weights", WEIGHT_STYLES)
def test_odd_names_and_weights_stay_well_formed(names: str, weights: str) -> None:
    spec = FeatureFileSpec(7, names=names, weights=weights, extra_fields=2)
    assert not spec.malformed
    # NaN and infinity are what Python's json writes and reads; a strict reader must cope with them.
    assert len(strict_rows(spec.render())) == 7


@pytest.mark.parametrize("encoding", VALID_ENCODINGS)
def test_valid_encodings_read_the_same(encoding: str) -> None:
    assert strict_rows(FeatureFileSpec(3, encoding=encoding).render()) == strict_rows(FeatureFileSpec(3).render())


@pytest.mark.parametrize("broken", BROKEN_SHAPES + BROKEN_ENCODINGS)
def test_every_malformed_choice_is_refused_by_a_strict_reader(broken: str) -> None:
    spec = FeatureFileSpec(3, **({"encoding": broken} if broken in BROKEN_ENCODINGS else {"shape": broken}))
    assert spec.malformed
    with pytest.raises((ValueError, UnicodeDecodeError)):
        strict_rows(spec.render())


def test_rendering_is_deterministic_and_sizes_stay_within_max_bytes() -> None:
    spec = FeatureFileSpec(201, names="huge", padding=10**9, max_bytes=100_000)
    assert spec.render() == spec.render()
    assert len(FeatureFileSpec(10, padding=10**9, max_bytes=5000).render()) == 5000
    # Huge names shrink to fit the row count into max_bytes (roughly: the other fields of a row come on top).
    assert len(spec.render()) < 2 * 100_000
    assert len(strict_rows(spec.render())) == 201


def test_unknown_fields_go_on_the_first_rows_and_the_top_level() -> None:
    data = json.loads(FeatureFileSpec(150, extra_fields=2).render())
    assert data["x_unknown_0"] == 0 and data["x_unknown_1"] == 1
    assert "x_unknown_1" in data["features"][99] and "x_unknown_0" not in data["features"][100]


def test_describe_names_only_what_differs_from_a_plain_file() -> None:
    assert FeatureFileSpec(201).describe() == "201 rows"
    assert FeatureFileSpec(1).describe() == "1 row"
    assert FeatureFileSpec(150, duplicates=51, names="huge", shape="truncated", cut=0.25).describe() == (
        "150 rows, 51 duplicates (exact), names huge, shape truncated, cut at 25%")


def test_bad_choices_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match="FeatureFileSpec.names: expected one of plain, .*found 'odd'"):
        FeatureFileSpec(1, names="odd")
    with pytest.raises(ValueError, match="0 <= duplicates <= rows, found rows=2, duplicates=3"):
        FeatureFileSpec(2, duplicates=3)
