"""Which files a list of paths means."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.errors import UsageError
from chaos.scenario import scenario_files


def test_folders_expand_to_sorted_yaml_files(tmp_path: Path) -> None:
    for name in ["b.yaml", "a.yml", "notes.txt", "sub/c.yaml"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    single = tmp_path / "notes.txt"
    assert scenario_files([tmp_path, single]) == [tmp_path / "a.yml", tmp_path / "b.yaml", tmp_path / "sub/c.yaml", single]


def test_a_file_named_twice_is_listed_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x: 1\n")
    assert scenario_files([tmp_path / "a.yaml", tmp_path]) == [tmp_path / "a.yaml"]


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nothing there"):
        scenario_files([tmp_path / "missing"])
