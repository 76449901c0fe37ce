"""JUnit XML: one case per scenario; a failure's message is the violation's explanation; properties replay it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_runs import journal_of, make_run

from chaos.report.junit import junit_properties, write_junit
from chaos.report.suite import Suite, Unrun


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Suite:
    folder = tmp_path_factory.mktemp("junit")
    held = journal_of(make_run(folder, name="recovers"))
    broken = journal_of(make_run(folder, name="never-recovers", recovers=False))
    demo = journal_of(make_run(folder, name="demo-violation", expect="violation", recovers=False))
    return Suite([held, broken, demo], [Unrun("scenarios/bad.yaml", "scenarios/bad.yaml:3:1: expected a title")])


def _cases(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    return {case.get("name"): case for case in root.iter("testcase")}


def test_one_case_per_scenario_and_the_suite_counts_them(suite: Suite, tmp_path: Path) -> None:
    path = write_junit(suite, tmp_path / "out" / "junit.xml")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    (testsuite,) = root
    assert (testsuite.get("tests"), testsuite.get("failures"), testsuite.get("errors")) == ("4", "1", "1")
    assert sorted(_cases(path)) == ["bad", "demo-violation", "never-recovers", "recovers"]


def test_an_unexpected_violation_is_a_failure_whose_message_is_its_explanation(suite: Suite, tmp_path: Path) -> None:
    case = _cases(write_junit(suite, tmp_path / "junit.xml"))["never-recovers"]
    (failure,) = case.findall("failure")
    assert failure.get("type") == "violation"
    message = failure.get("message")
    assert "invariant 'rollback-converges' violated" in message
    assert "\n" in message, "the explanation keeps its lines"
    assert "replay: chaos run " in message and message == failure.text
    assert case.get("file").endswith("never-recovers.yaml") and float(case.get("time")) == 25.0


def test_the_seed_image_hashes_and_replay_command_are_properties(suite: Suite, tmp_path: Path) -> None:
    case = _cases(write_junit(suite, tmp_path / "junit.xml"))["never-recovers"]
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["seed"] == "7"
    assert props["replay"].startswith("chaos run ") and props["replay"].endswith("--seed 7")
    assert props["image.edge"] == "chaos-fleet/edgefleet-edgefleet:0123456789ab"
    assert props["image.edge.id"] == "sha256:edge" and props["base_image.id"] == "sha256:base"
    assert props["journal"].endswith("never-recovers-r1.journal.json")
    assert props["timeline"].endswith("never-recovers-r1.timeline.jsonl")


def test_an_expected_violation_passes_and_says_what_it_showed(suite: Suite, tmp_path: Path) -> None:
    case = _cases(write_junit(suite, tmp_path / "junit.xml"))["demo-violation"]
    assert case.find("failure") is None and case.find("error") is None
    assert "expected violation of rollback-converges" in case.find("system-out").text


def test_a_held_run_is_a_plain_pass_and_one_that_could_not_run_is_an_error(suite: Suite, tmp_path: Path) -> None:
    cases = _cases(write_junit(suite, tmp_path / "junit.xml"))
    assert [child.tag for child in cases["recovers"]] == ["properties"]
    (error,) = cases["bad"].findall("error")
    assert error.get("message") == "scenarios/bad.yaml:3:1: expected a title"


def test_properties_are_plain_pairs_for_the_pytest_plugin(suite: Suite) -> None:
    props = junit_properties(suite.journals[0])
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in props)
    assert [k for k, _ in props][:3] == ["seed", "replay", "run_id"]
