"""The journal: what a finished run writes, and reading it back."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from report_runs import journal_of, make_run

from chaos.report.environment import base_image, environment
from chaos.report.journal import JOURNAL_SCHEMA, JournalError, journal_files, load_journal


def test_a_journal_has_every_field_of_its_schema(tmp_path: Path) -> None:
    data = journal_of(make_run(tmp_path, recovers=False)).data
    assert data["schema"] == JOURNAL_SCHEMA == "chaos-fleet/journal@2"
    for key in ("written", "started", "scenario", "seed", "run_id", "outcome", "as_expected", "explanation", "error",
                "stopped_by", "duration_s", "replay", "environment", "fleet", "steps", "faults", "timeline",
                "verdicts", "examples"):
        assert key in data, key
    assert data["seed"] == 7 and data["outcome"] == "violated" and data["as_expected"] is False
    assert data["examples"] == []
    assert "invariant 'rollback-converges' violated" in data["explanation"]
    assert data["replay"].endswith("--seed 7")
    assert data["fleet"]["targets"] == {"two": ["edge-1", "edge-2"]}


def test_steps_carry_their_kind_times_and_outcome(tmp_path: Path) -> None:
    steps = journal_of(make_run(tmp_path, recovers=False)).data["steps"]
    assert [(s["id"], s["kind"], s["outcome"]) for s in steps] == [
        ("push-oversized", "action", "HTTP 200"), ("kill-two", "fault", "ok"), ("rollback", "action", "HTTP 200"),
        ("recover", "wait", "timed out")]
    assert steps[0]["what"] == "push {features: 400}"
    assert steps[1]["what"] == "kill on two, healed at rollback"
    assert steps[3]["what"] == "until healthy fraction of edge >= 0.95 (at most 10s)"
    assert (steps[2]["started"], steps[2]["finished"]) == (8.0, 8.02)


def test_faults_name_their_target_nodes_and_window(tmp_path: Path) -> None:
    faults = journal_of(make_run(tmp_path)).data["faults"]
    assert faults == [{"step": "kill-two", "kind": "kill", "target": "two", "nodes": ["edge-1", "edge-2"],
                       "applied": 4.01, "healed": 8.0}]


def test_the_timeline_is_referenced_relative_to_the_journal_so_the_folder_can_move(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    make_run(tmp_path / "run")
    moved = tmp_path / "artifact"
    (tmp_path / "run").rename(moved)
    journal = load_journal(next(moved.glob("*.journal.json")))
    assert journal.data["timeline"]["file"] == "crash-loop-r1.timeline.jsonl"
    assert journal.timeline_path == moved / "crash-loop-r1.timeline.jsonl" and journal.timeline_path.exists()
    counts = journal.data["timeline"]
    assert counts["records"] == counts["samples"] + counts["traffic"] + counts["events"] > 0
    assert counts["end"] == 20.01  # run_finished at 20 s, stamped after the last request's 20.01 s


def test_an_unreached_step_says_so(tmp_path: Path) -> None:
    result = make_run(tmp_path)
    lines = [line for line in result.timeline.read_text().splitlines() if '"step":"recover"' not in line]
    result.timeline.write_text("\n".join(lines) + "\n")
    from chaos.report.journal import build_journal

    steps = build_journal(result, env={}, journal_dir=tmp_path)["steps"]
    assert steps[-1] == {"id": "recover", "kind": "wait", "what": "until healthy fraction of edge >= 0.95 (at most 10s)",
                         "started": None, "finished": None, "outcome": "not reached"}


def test_a_journal_of_another_schema_is_refused_naming_file_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "old.journal.json"
    path.write_text(json.dumps({"schema": "chaos-fleet/journal@1"}))
    with pytest.raises(JournalError, match=r"old.journal.json: expected a journal of schema chaos-fleet/journal@2, "
                                           r"found 'chaos-fleet/journal@1'"):
        load_journal(path)


def test_a_journal_that_is_not_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "cut.journal.json"
    path.write_text('{\n  "schema": ')
    with pytest.raises(JournalError, match=r"cut.journal.json:2:\d+: expected a JSON journal"):
        load_journal(path)


def test_a_journal_missing_fields_lists_them(tmp_path: Path) -> None:
    path = tmp_path / "thin.journal.json"
    path.write_text(json.dumps({"schema": JOURNAL_SCHEMA, "scenario": {}}))
    with pytest.raises(JournalError, match=r"found seed, run_id, .* missing"):
        load_journal(path)


def test_journal_files_expand_folders_and_refuse_nothing(tmp_path: Path) -> None:
    make_run(tmp_path, name="a")
    make_run(tmp_path, name="b")
    assert [p.name for p in journal_files([tmp_path])] == ["a-r1.journal.json", "b-r1.journal.json"]
    with pytest.raises(JournalError, match="expected a journal file or a folder of them, found nothing there"):
        journal_files([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(JournalError, match=r"expected \*.journal.json files, found none"):
        journal_files([tmp_path / "empty"])


def test_the_runner_still_imports_the_writer_from_its_old_place() -> None:
    from chaos.report import journal
    from chaos.runner import journal as old

    assert old.write_journal is journal.write_journal and old.JOURNAL_SCHEMA == journal.JOURNAL_SCHEMA


# --- environment, with a stand-in for the Docker client ---------------------------------------


class _Images:
    def __init__(self, layers: dict[str, list[str]], labelled: list[str]) -> None:
        self.layers, self.labelled = layers, labelled

    def get(self, ref: str):
        if ref not in self.layers:
            raise LookupError(ref)
        return SimpleNamespace(attrs={"Id": f"sha256:{ref}", "RootFS": {"Layers": self.layers[ref]}})

    def list(self, filters: dict) -> list:
        return [SimpleNamespace(tags=[ref]) for ref in self.labelled]


def _client(layers: dict[str, list[str]], labelled: list[str] = (), version: str = "24.0") -> SimpleNamespace:
    return SimpleNamespace(images=_Images(layers, list(labelled)), version=lambda: {"Version": version})


def test_the_base_image_is_the_candidate_whose_layers_start_the_built_image(monkeypatch) -> None:
    monkeypatch.delenv("CHAOS_BASE_IMAGE", raising=False)
    layers = {"fleet:abc": ["l1", "l2", "l3"], "chaos-fleet/base:bookworm-python3": ["l1", "l2"],
              "python:3.11-slim": ["x1"]}
    client = _client(layers, labelled=["chaos-fleet/base:bookworm-python3"])
    env = environment(client, {"edge": "fleet:abc", "origin": "fleet:abc"})
    assert env["base_image"] == {"ref": "chaos-fleet/base:bookworm-python3", "id": "sha256:chaos-fleet/base:bookworm-python3"}
    assert env["images"] == {"edge": {"ref": "fleet:abc", "id": "sha256:fleet:abc"},
                             "origin": {"ref": "fleet:abc", "id": "sha256:fleet:abc"}}
    assert env["docker"] == "24.0" and env["harness"]


def test_an_image_that_is_gone_leaves_a_gap_not_a_lost_journal(monkeypatch) -> None:
    monkeypatch.delenv("CHAOS_BASE_IMAGE", raising=False)

    def down():
        raise ConnectionError("daemon gone")

    client = SimpleNamespace(images=_Images({}, []), version=down)
    env = environment(client, {"edge": "fleet:gone"})
    assert env["images"] == {"edge": {"ref": "fleet:gone", "id": None}}
    assert env["base_image"] is None and env["docker"] is None
    assert base_image(client, {"RootFS": {"Layers": ["l1"]}}) is None


def test_a_fuzz_run_adds_its_minimal_failing_examples(tmp_path: Path) -> None:
    from chaos.report.journal import build_journal

    result = make_run(tmp_path, recovers=False)
    example = {"description": "a feature file of 201 rows", "steps": ["push 201 rows"], "violated": ["x"],
               "replay": "chaos fuzz s.yaml --seed 7 --examples 10"}
    result.journal_extras = lambda: {"examples": [example], "fuzz": {"examples_run": 10}}
    data = build_journal(result, env={}, journal_dir=tmp_path)
    assert data["examples"] == [example] and data["fuzz"] == {"examples_run": 10}
