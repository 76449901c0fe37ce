"""Hypothesis strategies for feature files, weighted toward what breaks real fleets.

    from chaos.fuzz import feature_files, feature_file_specs, feature_counts

    @given(feature_files(limit=200))                   # bytes, ready to push
    def test_my_loader(raw): ...

    @given(feature_file_specs(limit=200, vary=("duplicates",)))
    def test_rows(spec): load(spec.render()) ...      # the spec says what the file is

    feature_counts(limit=200)        # 0, 1, 199, 200, 201, 400, 5000 often; any count up to 5000
    feature_counts(limit=200, exact=False)            # only those boundary counts

Why the counts look like this: a count is drawn either from every count up
to `max_count` or from the boundary counts (0, 1, limit-1, limit, limit+1,
2 x limit, max_count), with the plain integers first. Drawing boundaries
often finds a limit in a few examples; putting the integers first lets
Hypothesis shrink a failing count to the exact smallest that fails, even
when the fleet's real limit is not the one assumed here (a limit believed to
be 200 that is really 150 shrinks to 151). With `exact=False` a count is
only ever a boundary count, so shrinking takes a few steps instead of ~20:
the choice for state machines, where every shrink step replays a sequence.

Every other choice of a spec starts at its plain value (no duplicates,
plain names and weights, well-formed UTF-8 JSON), so a shrunk failing file
differs from a plain one only where the failure needs it.
"""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from chaos.fuzz.feature_spec import (
    BROKEN_ENCODINGS,
    BROKEN_SHAPES,
    DEFAULT_MAX_BYTES,
    DUPLICATE_STYLES,
    NAME_LENGTHS,
    NAME_STYLES,
    ORDERS,
    VALID_ENCODINGS,
    WEIGHT_STYLES,
    FeatureFileSpec,
)
from chaos.scenario.model import FUZZ_DIMENSIONS as DIMENSIONS

MAX_EXTRA_FIELDS = 3


def _check_int(name: str, value: object, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"expected {name} to be a whole number >= {minimum}, but got {name}={value!r}")
    return value


def default_max_count(limit: int) -> int:
    """The largest count drawn when none is given: 25 x the limit ("very large", yet pushable all day)."""
    return 25 * limit


def boundary_counts(*, limit: int, max_count: int) -> list[int]:
    """0, 1, limit-1, limit, limit+1, 2 x limit and max_count: ascending, without repeats, none above max_count."""
    wanted = (0, 1, limit - 1, limit, limit + 1, 2 * limit, max_count)
    return sorted({count for count in wanted if 0 <= count <= max_count})


def feature_counts(*, limit: int = 200, max_count: int | None = None, exact: bool = True) -> SearchStrategy[int]:
    """Feature counts from 0 to `max_count` (default 25 x limit), the boundary counts drawn half the time.

    With `exact` (the default) a failing count shrinks to the smallest count
    that fails; without it only boundary counts are drawn.
    """
    _check_int("limit", limit, 1)
    max_count = default_max_count(limit) if max_count is None else _check_int("max_count", max_count, 0)
    boundaries = st.sampled_from(boundary_counts(limit=limit, max_count=max_count))
    if not exact:
        return boundaries
    return st.one_of(st.integers(min_value=0, max_value=max_count), boundaries)


def _mostly(plain: str, options: Iterable[str]) -> SearchStrategy[str]:
    """`plain` about half the time, else any of `options`; shrinks to `plain`."""
    others = [o for o in options if o != plain]
    return st.one_of(st.just(plain), st.sampled_from(others)) if others else st.just(plain)


def _check_vary(vary: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(vary)
    unknown = sorted(chosen - set(DIMENSIONS))
    if unknown:
        raise ValueError(f"expected vary to name dimensions among {', '.join(DIMENSIONS)}, "
                         f"but got vary={sorted(chosen)!r}")
    return chosen


def feature_file_specs(*, limit: int = 200, max_rows: int | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                       counts: str = "any", vary: Iterable[str] = DIMENSIONS) -> SearchStrategy[FeatureFileSpec]:
    """Feature file specs: row counts around `limit`, and whatever `vary` names besides.

    `vary` picks from: duplicates (rows repeated, the 18 November 2025 cause),
    names (empty, one character, unicode, control characters, ...), weights
    (zero, NaN, infinity, text, null, missing, ...), fields (unknown fields),
    order, encoding (ASCII-escaped, pretty-printed), size (long and huge names,
    padding up to `max_bytes`), malformed (truncated, empty, invalid JSON,
    wrong shapes, bad encodings). `counts="boundaries"` draws only boundary
    row counts (see `feature_counts`).
    """
    _check_int("limit", limit, 1)
    _check_int("max_bytes", max_bytes, 64)
    max_rows = default_max_count(limit) if max_rows is None else _check_int("max_rows", max_rows, 0)
    if counts not in ("any", "boundaries"):
        raise ValueError(f"expected counts to be 'any' or 'boundaries', but got counts={counts!r}")
    chosen = _check_vary(vary)
    rows_strategy = feature_counts(limit=limit, max_count=max_rows, exact=counts == "any")
    name_styles = [n for n in NAME_STYLES if "size" in chosen or n not in NAME_LENGTHS]
    if "names" not in chosen:
        name_styles = [n for n in name_styles if n == "plain" or n in NAME_LENGTHS]

    @st.composite
    def specs(draw: st.DrawFn) -> FeatureFileSpec:
        rows = draw(rows_strategy)
        duplicates, duplicate_style = 0, "exact"
        if "duplicates" in chosen and rows:
            # Half of the rows repeated is the shape of the doubled file.
            duplicates = draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=rows), st.just(rows // 2)))
            if duplicates:
                duplicate_style = draw(st.sampled_from(DUPLICATE_STYLES))
        names = draw(_mostly("plain", name_styles))
        weights = draw(_mostly("plain", WEIGHT_STYLES)) if "weights" in chosen else "plain"
        extra_fields = draw(st.integers(min_value=0, max_value=MAX_EXTRA_FIELDS)) if "fields" in chosen else 0
        order = draw(_mostly("generated", ORDERS)) if "order" in chosen else "generated"
        encoding = draw(_mostly("utf-8", VALID_ENCODINGS)) if "encoding" in chosen else "utf-8"
        shape, cut = "object", 0.5
        # One breakage at a time, drawn half the time: a malformed file is wrong in exactly one way.
        if "malformed" in chosen and draw(st.booleans()):
            breakage = draw(st.sampled_from(BROKEN_SHAPES + BROKEN_ENCODINGS))
            if breakage in BROKEN_ENCODINGS:
                encoding = breakage
            else:
                shape = breakage
                if shape == "truncated":
                    cut = draw(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
        padding = draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=max_bytes))) if "size" in chosen else 0
        return FeatureFileSpec(rows, duplicates, duplicate_style, names, weights, extra_fields, order, encoding,
                               shape, cut, padding, max_bytes)

    return specs()


def feature_files(*, limit: int = 200, max_rows: int | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                  counts: str = "any", vary: Iterable[str] = DIMENSIONS) -> SearchStrategy[bytes]:
    """Feature files as bytes: `feature_file_specs(...)` rendered. Same arguments."""
    return feature_file_specs(limit=limit, max_rows=max_rows, max_bytes=max_bytes, counts=counts,
                              vary=vary).map(FeatureFileSpec.render)
