"""`chaos fuzz` without Docker: its options, which files it takes, its one-line errors, and a light import."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz_scenarios import FILES, ROOT

from chaos.errors import UsageError
from chaos.fuzz.command import _fuzz_scenarios, add_fuzz_parser
from chaos.fuzz.__main__ import main


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chaos")
    parser.add_argument("-q", "--quiet", action="store_true")
    add_fuzz_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


def test_the_subcommand_and_its_options() -> None:
    args = parse("fuzz", "scenarios/fuzz-panic-limit.yaml", "--examples", "50", "--seed", "7")
    assert (args.paths, args.examples, args.seed, args.profile) == (["scenarios/fuzz-panic-limit.yaml"], 50, 7, None)
    assert args.journal_dir == "chaos-runs" and callable(args.func)
    # -q before the subcommand is not undone by the subcommand's own -q.
    assert parse("-q", "fuzz", "x.yaml").quiet and parse("fuzz", "x.yaml", "-q").quiet
    assert not parse("fuzz", "x.yaml").quiet


def test_folders_give_their_fuzz_scenarios_and_a_named_plain_scenario_is_refused(tmp_path: Path) -> None:
    (tmp_path / "fuzzed.yaml").write_text(FILES)
    (tmp_path / "plain.yaml").write_text(FILES[: FILES.index("fuzz:")])
    assert [s.path.name for s in _fuzz_scenarios([str(tmp_path)])] == ["fuzzed.yaml"]
    with pytest.raises(UsageError, match=r"plain.yaml:1:1: expected a scenario with a fuzz block, found none "
                                         r"\(run it with: chaos run\)"):
        _fuzz_scenarios([str(tmp_path / "plain.yaml")])
    (tmp_path / "fuzzed.yaml").unlink()
    with pytest.raises(UsageError, match="no scenario with a fuzz block in"):
        _fuzz_scenarios([str(tmp_path)])


def test_a_bad_scenario_is_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text(FILES.replace("strategy: feature_files", "strategy: nope"))
    assert main([str(tmp_path / "bad.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"chaos: error: {tmp_path / 'bad.yaml'}:") and "\n" not in err
    assert "fuzz.strategy: expected one of feature_files, fleet_steps, found 'nope'" in err


def test_the_pytest_entry_stays_light() -> None:
    code = ("import sys, chaos.fuzz.pytest_item, chaos.fuzz.command; "
            "print(sorted(m for m in ('docker', 'hypothesis') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def test_the_public_names_are_complete() -> None:
    import chaos.fuzz

    for name in chaos.fuzz.__all__:
        assert getattr(chaos.fuzz, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'feature_file'"):
        chaos.fuzz.feature_file  # noqa: B018
