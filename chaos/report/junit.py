"""JUnit XML: one test case per scenario run, for CI systems that chart test results.

A run that went as expected passes (an expected violation is noted in
system-out); one that did not is a failure whose message is the violation's
own explanation; one that could not happen is an error. The seed, the image
hashes and the replay command are the case's properties, so a person can
replay a red night from the CI page alone.
"""

from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from chaos.report.journal import Journal
from chaos.report.suite import ERROR, FAIL, Suite, status

SUITE_NAME = "chaos-fleet"


def junit_properties(journal: Journal) -> list[tuple[str, str]]:
    """The properties of a run's test case (also what the pytest plugin records for its own JUnit XML)."""
    data = journal.data
    env = data.get("environment") or {}
    props = [("seed", str(data["seed"])), ("replay", data["replay"]), ("run_id", data["run_id"]),
             ("expect", data["scenario"]["expect"]), ("outcome", data["outcome"]), ("journal", str(journal.path))]
    if journal.timeline_path is not None:
        props.append(("timeline", str(journal.timeline_path)))
    props += [("harness", str(env.get("harness"))), ("docker", str(env.get("docker")))]
    base = env.get("base_image")
    if base:
        props += [("base_image", str(base.get("ref"))), ("base_image.id", str(base.get("id")))]
    for service, image in (env.get("images") or {}).items():
        props += [(f"image.{service}", str(image.get("ref"))), (f"image.{service}.id", str(image.get("id")))]
    return props


def _case_name(path: str) -> tuple[str, str]:
    """(classname, name): the scenario's folder, dotted, and its file's stem."""
    scenario = Path(path)
    folder = ".".join(p for p in scenario.parent.parts if p not in ("/", ".", "")) or "scenarios"
    return folder, scenario.stem


def _case(suite_el: ET.Element, journal: Journal) -> None:
    data = journal.data
    classname, name = _case_name(journal.scenario_path)
    case = ET.SubElement(suite_el, "testcase", classname=classname, name=name, file=journal.scenario_path,
                         line=str(data["scenario"].get("line", 1)), time=f"{data.get('duration_s', 0):.2f}")
    props = ET.SubElement(case, "properties")
    for key, value in junit_properties(journal):
        ET.SubElement(props, "property", name=key, value=value)
    state = status(journal)
    text = data.get("explanation") or data.get("error") or f"outcome {data['outcome']}"
    if state == FAIL:
        kind = "violation" if journal.violations else "expected-violation-missing"
        ET.SubElement(case, "failure", message=text, type=kind).text = text
    elif state == ERROR:
        ET.SubElement(case, "error", message=text, type=data["outcome"]).text = text
    elif journal.violations:
        lines = [f"expected violation of {v['invariant']}: {v['summary']}" for v in journal.violations]
        ET.SubElement(case, "system-out").text = "\n".join(lines + [f"replay: {data['replay']}"])


def render_junit(suite: Suite) -> str:
    """The suite as JUnit XML text."""
    root = ET.Element("testsuites")
    suite_el = ET.SubElement(root, "testsuite", name=SUITE_NAME, tests=str(suite.total),
                             failures=str(suite.count(FAIL)), errors=str(suite.count(ERROR)), skipped="0",
                             time=f"{sum(j.data.get('duration_s', 0) for j in suite.journals):.2f}",
                             timestamp=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
                             hostname=socket.gethostname())
    for journal in suite.journals:
        _case(suite_el, journal)
    for unrun in suite.unrun:
        classname, name = _case_name(unrun.path)
        case = ET.SubElement(suite_el, "testcase", classname=classname, name=name, file=unrun.path, time="0")
        ET.SubElement(case, "error", message=unrun.message, type="could-not-run").text = unrun.message
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(suite: Suite, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_junit(suite), encoding="utf-8")
    return path
