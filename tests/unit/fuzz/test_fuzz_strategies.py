"""The strategies: what they draw, and that a failing file shrinks to the smallest count that fails."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from chaos.fuzz import FeatureFileSpec, boundary_counts, feature_counts, feature_file_specs, feature_files

QUICK = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
SHRINK = settings(max_examples=200, database=None, phases=(Phase.generate, Phase.shrink))


def crashes_at(limit: int):
    """A loader like the panic edges: anything over `limit` rows, or anything malformed, takes it down."""

    def crashes(raw: bytes) -> bool:
        try:
            rows = json.loads(raw.decode("utf-8"))["features"]
            return not isinstance(rows, list) or len(rows) > limit or not all(
                isinstance(r, dict) and isinstance(r.get("name"), str) for r in rows)
        except (ValueError, KeyError, TypeError):
            return True

    return crashes


VALID_ONLY = ("duplicates", "names", "weights", "fields", "order", "encoding", "size")


def test_boundary_counts_surround_the_limit() -> None:
    assert boundary_counts(limit=200, max_count=5000) == [0, 1, 199, 200, 201, 400, 5000]
    assert boundary_counts(limit=1, max_count=1) == [0, 1]


@pytest.mark.parametrize("limit", [20, 200])
def test_a_failing_file_shrinks_to_exactly_one_over_the_limit(limit: int) -> None:
    crashes = crashes_at(limit)
    found = find(feature_file_specs(limit=limit, vary=VALID_ONLY), lambda s: crashes(s.render()), settings=SHRINK)
    # Not just 201 rows: a plain file, every other choice shrunk to its plain value.
    assert found == FeatureFileSpec(limit + 1, max_bytes=found.max_bytes)
    assert not crashes(found.replace(rows=limit).render())


def test_counts_shrink_to_the_real_limit_even_when_a_different_one_was_assumed() -> None:
    crashes = crashes_at(150)
    found = find(feature_file_specs(limit=200, vary=VALID_ONLY), lambda s: crashes(s.render()), settings=SHRINK)
    assert found.rows == 151


def test_feature_counts_shrink_exactly_and_boundaries_only_draws_boundaries() -> None:
    assert find(feature_counts(limit=200), lambda n: n > 317, settings=SHRINK) == 318

    @QUICK
    @given(feature_counts(limit=200, exact=False))
    def only_boundaries(n: int) -> None:
        assert n in (0, 1, 199, 200, 201, 400, 5000)

    only_boundaries()


def test_with_malformed_files_the_smallest_failure_is_a_broken_file() -> None:
    found = find(feature_file_specs(limit=200), lambda s: crashes_at(200)(s.render()), settings=SHRINK)
    assert found.malformed or found.rows == 201


@QUICK
@given(feature_file_specs(limit=50, vary=VALID_ONLY))
def test_without_malformed_every_file_reads(spec: FeatureFileSpec) -> None:
    assert not spec.malformed
    rows = json.loads(spec.render().decode("utf-8"))["features"]
    assert len(rows) == spec.rows


@QUICK
@given(feature_file_specs(limit=50, vary=()))
def test_varying_nothing_draws_plain_files(spec: FeatureFileSpec) -> None:
    assert spec == FeatureFileSpec(spec.rows, max_bytes=spec.max_bytes)


@QUICK
@given(feature_files(limit=10, max_rows=30, max_bytes=4096, vary=("size",)))
def test_feature_files_are_bytes_within_bounds(raw: bytes) -> None:
    assert isinstance(raw, bytes)
    assert len(json.loads(raw)["features"]) <= 30


@QUICK
@given(st.data())
def test_strategies_compose_with_others(data: st.DataObject) -> None:
    spec = data.draw(feature_file_specs(limit=20).filter(lambda s: not s.malformed and s.duplicates == 0))
    assert len(json.loads(spec.render())["features"]) == spec.rows


def test_bad_arguments_say_what_was_expected_and_what_arrived() -> None:
    with pytest.raises(ValueError, match=r"expected limit to be a whole number >= 1, but got limit=0"):
        feature_counts(limit=0)
    with pytest.raises(ValueError, match=r"expected vary to name dimensions among duplicates, .*'sizes'"):
        feature_file_specs(vary=("sizes",))
    with pytest.raises(ValueError, match=r"counts to be 'any' or 'boundaries', but got counts='some'"):
        feature_file_specs(counts="some")
