"""The HTML report: self-contained, the timeline picture, each violation with its replay command, the steps."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from base64 import b64decode
from pathlib import Path

import pytest
from report_runs import journal_of, make_run

from chaos.report.html import picture, render_report, write_report
from chaos.report.suite import Suite, Unrun


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("html")
    broken = journal_of(make_run(folder, name="never-recovers", recovers=False, title="Never <recovers> & fails"))
    held = journal_of(make_run(folder, name="recovers"))
    return render_report(Suite([broken, held], [Unrun("scenarios/bad.yaml", "bad.yaml:3:1: expected a title")]))


def test_the_page_fetches_nothing(page: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page.lower() and "@import" not in page and "url(" not in page


def test_the_verdict_summary_comes_first(page: str) -> None:
    banner = page.index('class="banner"')
    assert banner < page.index("<section")
    assert "3 scenarios: 1 passed, 1 failed, 1 could not run" in page[banner:banner + 200]
    assert page.index("never-recovers.yaml") < page.index("<section")


def test_each_violation_shows_its_explanation_and_replay_command(page: str) -> None:
    assert "invariant rollback-converges violated" in page
    assert "the deadline at t=18.0s passed" in page
    assert re.search(r"replay: <code>chaos run \S+never-recovers.yaml --seed 7</code>", page)


def test_the_steps_table_lists_every_step_with_its_outcome(page: str) -> None:
    for cell in ("<code>push-oversized</code>", "<code>kill-two</code>", "kill on two, healed at rollback",
                 "timed out", "HTTP 200"):
        assert cell in page


def test_titles_are_escaped(page: str) -> None:
    assert "Never &lt;recovers&gt; &amp; fails" in page and "<recovers>" not in page


def test_the_timeline_picture_is_an_inline_svg_with_the_heat_map_image(page: str) -> None:
    images = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2
    svg = ET.fromstring(b64decode(images[0]))
    assert svg.tag.endswith("svg")
    inner = [e for e in svg.iter() if e.tag.endswith("image")]
    assert len(inner) == 1, "the heat map is one embedded image however long the run"
    # matplotlib keeps each text of the picture as a comment beside its glyphs.
    text = b64decode(images[0]).decode()
    assert len(re.findall(r'id="axes_\d+"', text)) == 3, "heat map, error rate, latency"
    for label in ("\u2717 rollback-converges", "push-oversized", "rollback", "kill: edge-1, edge-2", "latency (ms)",
                  "seconds since the fleet was up"):
        assert f"<!-- {label} -->" in text, label


def test_a_missing_timeline_file_leaves_a_note_and_the_rest_of_the_report(tmp_path: Path) -> None:
    result = make_run(tmp_path, recovers=False)
    result.timeline.unlink()
    journal = journal_of(result)
    svg, note = picture(journal)
    assert svg is None and "is not here" in note and result.timeline.name in note
    path = write_report(Suite([journal]), tmp_path / "sub" / "report.html")
    text = path.read_text()
    assert "invariant rollback-converges violated" in text and "data:image/svg" not in text


def test_a_run_without_traffic_draws_the_heat_map_alone() -> None:
    from chaos.report.binning import node_states, traffic_series
    from chaos.report.picture import draw_timeline

    records = [{"kind": "sample", "t": t / 4, "node": f"edge-{n}", "service": "edge", "container": "running",
                "healthy": n != 2 or t < 20} for t in range(1, 60) for n in (1, 2, 3)]
    journal = {"scenario": {"title": "quiet"}, "outcome": "held", "steps": [], "faults": [], "verdicts": []}
    svg = draw_timeline(node_states(records, {}, end=15.0), traffic_series(records, end=15.0), journal, end=15.0)
    assert re.findall(r'id="axes_\d+"', svg.decode()) == ['id="axes_1"']


def test_minimal_failing_examples_are_shown_with_their_replay(tmp_path: Path) -> None:
    journal = journal_of(make_run(tmp_path, recovers=False))
    journal.data["examples"] = [{"description": "a feature file of 201 rows", "steps": ["push 201 rows", "wait"],
                                 "violated": ["rollback-converges"], "replay": "chaos fuzz s.yaml --seed 7"}]
    page = render_report(Suite([journal]))
    assert "Minimal failing examples (1)" in page and "a feature file of 201 rows" in page
    assert "<pre>push 201 rows\nwait</pre>" in page and "replay: <code>chaos fuzz s.yaml --seed 7</code>" in page
