"""The nightly job end to end: one `chaos run` writes JUnit XML, the HTML report and the Markdown summary;
headless Chromium shows the report's timeline picture and violation; `chaos report` renders it again;
the violation explains itself on stderr.

One run of two scenarios: a copy of rollback-under-duress whose control plane
rolls back by quorum (an unexpected violation, ~2 min) and the shipped
degrade-silently (an expected one, ~20 s). The screenshot is kept under
artifacts/report-nightly/ (printed), which CI leaves in its workspace.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from matplotlib.image import imread

from chaos.report.binning import NODE_STATES
from chaos.report.picture import STATE_COLORS

from conftest import ROOT

ARTIFACTS = ROOT / "artifacts" / "report-nightly"


def _state_rgb(state: str) -> tuple[int, int, int]:
    """The picture's colour of a node state (STATE_COLORS starts with no-data, then NODE_STATES in order)."""
    color = STATE_COLORS[1 + NODE_STATES.index(state)]
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


HEALTHY_RGB, DOWN_RGB = _state_rgb("healthy"), _state_rgb("down")


def _quorum_copy(tmp_path: Path) -> Path:
    text = (ROOT / "scenarios" / "rollback-under-duress.yaml").read_text()
    text = text.replace("../compose/", f"{ROOT}/compose/")
    assert "ROLLBACK_MODE: direct" in text
    path = tmp_path / "rollback-under-duress.yaml"
    path.write_text(text.replace("ROLLBACK_MODE: direct", "ROLLBACK_MODE: quorum"))
    return path


def _chaos(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chaos", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def _chromium(*args: str) -> subprocess.CompletedProcess:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "chromium is not installed (.ci/run installs it: apt-get install chromium)"
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", *args], capture_output=True,
                          text=True, timeout=180)


def _share(image: np.ndarray, rgb: tuple[int, int, int]) -> float:
    """The share of the screenshot's pixels within a few levels of one colour."""
    pixels = (image[..., :3] * 255).round().astype(int)
    return float((np.abs(pixels - np.array(rgb)).max(axis=-1) <= 6).mean())


def _without_date(html: str) -> str:
    return re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", "", html)


def test_nightly_run_writes_junit_a_report_chromium_shows_and_a_summary(tmp_path, edgefleet_images, leftovers):
    quorum = _quorum_copy(tmp_path)
    journals, out = tmp_path / "journals", tmp_path / "reports"
    step_summary = tmp_path / "step-summary.md"
    result = _chaos("run", str(quorum), "scenarios/degrade-silently.yaml", "--journal-dir", str(journals),
                    "--junit-xml", str(out / "junit.xml"), "--report", str(out / "report.html"),
                    "--summary", str(out / "summary.md"), env={"GITHUB_STEP_SUMMARY": str(step_summary)})
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert "Traceback" not in result.stderr

    # The unexpected violation explains itself on stderr: file, invariant, closest fraction, nodes, replay.
    err = result.stderr
    assert f"{quorum}:" in err and "invariant 'rollback-converges' violated" in err
    assert "healthy fraction of edge reached at most" in err and "/10)" in err
    assert "nodes at fault then: edge-" in err
    assert f"replay: chaos run {quorum} --seed 1118" in err
    assert f"report: {out / 'report.html'}" in result.stdout
    run_ids = [json.loads(p.read_text())["run_id"] for p in journals.glob("*.journal.json")]
    assert len(run_ids) == 2 and [leftovers(run_id) for run_id in run_ids] == [[], []]

    # JUnit: one case per scenario; the unexpected violation fails naming its invariant.
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    cases = {case.get("file"): case for case in suite.iter("testcase")}
    assert set(cases) == {str(quorum), "scenarios/degrade-silently.yaml"}
    failure = cases[str(quorum)].find("failure")
    assert failure is not None and "invariant 'rollback-converges' violated" in failure.get("message")
    assert f"replay: chaos run {quorum} --seed 1118" in failure.get("message")
    assert cases["scenarios/degrade-silently.yaml"].find("failure") is None
    props = {p.get("name"): p.get("value") for p in cases[str(quorum)].iter("property")}
    assert props["seed"] == "1118" and props["replay"] == f"chaos run {quorum} --seed 1118"
    assert props["image.edge"].startswith("chaos-fleet/") and props["image.edge.id"].startswith("sha256:")
    assert props["base_image.id"].startswith("sha256:")

    # The HTML report fetches nothing, and Chromium shows its picture and the violation.
    page = (out / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I) and "<script" not in page
    assert (out / "report.html").stat().st_size < 2_000_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    shutil.copy(out / "report.html", ARTIFACTS / "report.html")
    print(f"\nreport screenshot: {shot}")
    _chromium(f"--screenshot={shot}", "--window-size=1400,2000", (out / "report.html").as_uri())
    assert shot.exists(), "chromium wrote no screenshot"
    image = imread(shot)
    assert image.shape[:2] == (2000, 1400)
    assert _share(image, HEALTHY_RGB) > 0.005 and _share(image, DOWN_RGB) > 0.002, "no heat map in the screenshot"
    dom = _chromium("--dump-dom", (out / "report.html").as_uri()).stdout
    assert "invariant rollback-converges violated" in dom and "2 scenarios: 1 passed, 1 failed" in dom
    assert re.search(r'<img class="timeline"[^>]+src="data:image/svg\+xml;base64,', dom)

    # The summary went to the given path and to the CI job's summary.
    summary = (out / "summary.md").read_text()
    assert "rollback-converges" in summary and step_summary.read_text() == summary

    # `chaos report` renders the same page from the journals and their timeline files alone.
    again = _chaos("report", str(journals), "-o", str(tmp_path / "again.html"), env={"GITHUB_STEP_SUMMARY": ""})
    assert again.returncode == 0, again.stderr
    assert _without_date((tmp_path / "again.html").read_text()) == _without_date(page)
