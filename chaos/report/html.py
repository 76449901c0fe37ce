"""The HTML report: one self-contained file, readable from a CI artifact with no network.

Top to bottom: the suite's verdict and a table of its scenarios, then for
each run the timeline picture, each violation with its explanation and the
command that replays it, the steps, the faults, the invariants that held
and the environment. Pictures are SVG inside `data:` URIs, the style sheet
is inline, and there is no script: nothing is fetched when it opens.
"""

from __future__ import annotations

import base64
import time
from html import escape
from pathlib import Path
from typing import Any

from chaos.errors import ChaosError
from chaos.report.journal import Journal
from chaos.report.suite import ERROR, FAIL, PASS, Suite, status

_BADGE = {PASS: ("PASS", "#1d7a3e"), FAIL: ("FAIL", "#b3261e"), ERROR: ("ERROR", "#8a5a00")}

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1360px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:0 0 6px}h3{font-size:15px;margin:18px 0 6px}
.banner{padding:12px 16px;border-radius:6px;color:#fff;font-size:18px;font-weight:600;margin:8px 0 14px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:700;vertical-align:middle}
section.run{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:14px 16px;margin:18px 0}
table{border-collapse:collapse;margin:4px 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;padding:8px;white-space:pre-wrap;font-size:12.5px;margin:4px 0}
code{background:#eef1f4;padding:1px 4px;border-radius:3px;font-size:12.5px}
.violation{border-left:4px solid #b3261e;padding:2px 0 2px 10px;margin:10px 0}
.violation.expected{border-left-color:#8c959f}
.meta{color:#57606a;font-size:13px}.note{color:#57606a;font-style:italic}
img.timeline{width:100%;height:auto;border:1px solid #eaeef2;margin:6px 0}
"""


def _t(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}s"


def _badge(state: str) -> str:
    text, color = _BADGE[state]
    return f'<span class="badge" style="background:{color}">{text}</span>'


def _anchor(index: int) -> str:
    return f"run-{index}"


def _table(head: list[str], rows: list[list[str]], *, numeric: tuple[int, ...] = ()) -> str:
    """A table; cells are HTML already escaped by the caller."""
    out = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        cells = "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        out.append(f"<tr>{cells}</tr>")
    return "".join(out) + "</table>"


def picture(journal: Journal) -> tuple[bytes | None, str]:
    """The run's timeline picture as SVG, or None and the reason there is none."""
    from chaos.observe.timeline import Timeline
    from chaos.report.binning import node_states, traffic_series
    from chaos.report.picture import draw_timeline

    path = journal.timeline_path
    if path is None:
        return None, "the journal names no timeline file"
    if not path.exists():
        return None, f"no picture: the timeline file {path} is not here (keep it beside the journal)"
    try:
        timeline = Timeline.load(path)
    except ChaosError as exc:
        return None, f"no picture: {exc}"
    records = timeline.records
    end = max(timeline.end, 1e-3)
    nodes = journal.data.get("fleet", {}).get("nodes") or timeline.nodes()
    svg = draw_timeline(node_states(records, nodes, end=end), traffic_series(records, end=end), journal.data, end=end)
    return svg, f"{path.name}: {len(records)} records over {end:.1f}s"


def _violation(verdict: dict[str, Any], journal: Journal, *, stop: bool) -> str:
    expected = journal.data["scenario"]["expect"] == "violation"
    title = "stop condition" if stop else "invariant"
    tag = " <span class=\"meta\">(expected: this scenario demonstrates a broken design)</span>" if expected else ""
    nodes = ", ".join(verdict.get("nodes") or []) or "none named"
    where = f" at {escape(verdict['mark'])}" if verdict.get("mark") else ""
    return (f'<div class="violation{" expected" if expected else ""}">'
            f"<b>{title} {escape(verdict['invariant'])} violated</b>{tag}<br>"
            f'<span class="meta">at t={_t(verdict.get("at"))}; nodes at fault: {escape(nodes)}{where}</span>'
            f"<pre>{escape(verdict['explanation'])}</pre>"
            f"replay: <code>{escape(journal.data['replay'])}</code></div>")


def _example(example: dict[str, Any]) -> str:
    """One minimal failing example of a fuzz run, as much as it carries of: description, steps, violated, replay."""
    steps = example.get("steps") or []
    violated = ", ".join(example.get("violated") or [])
    return ('<div class="violation">'
            f"<b>{escape(str(example.get('description') or example.get('example') or 'example'))}</b>"
            + (f'<br><span class="meta">violated: {escape(violated)}</span>' if violated else "")
            + (f"<pre>{escape(chr(10).join(map(str, steps)))}</pre>" if steps else "")
            + (f"replay: <code>{escape(example['replay'])}</code>" if example.get("replay") else "")
            + "</div>")


def _run(index: int, journal: Journal) -> str:
    data = journal.data
    state = status(journal)
    scenario = data["scenario"]
    parts = [f'<section class="run" id="{_anchor(index)}">',
             f"<h2>{_badge(state)} {escape(scenario['title'])}</h2>",
             f'<div class="meta"><code>{escape(scenario["path"])}</code> &middot; expect {escape(scenario["expect"])}'
             f" &middot; outcome <b>{escape(data['outcome'])}</b> &middot; seed {data['seed']} &middot; "
             f"run {escape(data['run_id'])} &middot; {data.get('duration_s', 0):.0f}s &middot; "
             f"started {escape(data.get('started', ''))}</div>"]
    if scenario.get("description"):
        parts.append(f'<p class="meta">{escape(scenario["description"])}</p>')
    if data.get("explanation") and state != PASS:
        parts.append(f"<h3>Why it {'failed' if state == FAIL else 'could not run'}</h3>"
                     f"<pre>{escape(data['explanation'])}</pre>")
    svg, note = picture(journal)
    parts.append("<h3>Timeline</h3>")
    if svg is not None:
        encoded = base64.b64encode(svg).decode("ascii")
        parts.append(f'<img class="timeline" alt="timeline of {escape(scenario["title"])}" '
                     f'src="data:image/svg+xml;base64,{encoded}">')
    parts.append(f'<div class="note">{escape(note)}</div>')
    violations = journal.violations
    if violations:
        parts.append(f"<h3>Violations ({len(violations)})</h3>")
        parts += [_violation(v, journal, stop=v is data.get("stopped_by")) for v in violations]
    if data.get("examples"):
        parts.append(f"<h3>Minimal failing examples ({len(data['examples'])})</h3>")
        parts += [_example(e) for e in data["examples"]]
    parts.append("<h3>Steps</h3>")
    parts.append(_table(["#", "step", "kind", "what", "started", "finished", "took", "outcome"], [
        [str(i), f"<code>{escape(s['id'])}</code>", escape(s["kind"]), escape(s["what"]), _t(s["started"]),
         _t(s["finished"]),
         _t(s["finished"] - s["started"]) if s["started"] is not None and s["finished"] is not None else "",
         escape(s["outcome"])]
        for i, s in enumerate(data["steps"], 1)], numeric=(0, 4, 5, 6)))
    if data["faults"]:
        parts.append("<h3>Faults</h3>")
        parts.append(_table(["step", "fault", "target", "nodes", "applied", "healed"], [
            [escape(f["step"] or ""), escape(f["kind"] or ""), escape(f["target"]), escape(", ".join(f["nodes"])),
             _t(f["applied"]), _t(f["healed"]) or "never"] for f in data["faults"]], numeric=(4, 5)))
    held = [v for v in data["verdicts"] if v["held"]]
    if held:
        parts.append("<h3>Invariants that held</h3>")
        parts.append(_table(["invariant", "closest it came"], [
            [escape(v["invariant"]), f"<pre>{escape(v['explanation'])}</pre>"] for v in held]))
    parts.append(_environment(data))
    parts.append("</section>")
    return "\n".join(parts)


def _environment(data: dict[str, Any]) -> str:
    env = data.get("environment") or {}
    base = env.get("base_image") or {}
    rows = [["harness", escape(str(env.get("harness")))], ["docker", escape(str(env.get("docker")))],
            ["python", escape(str(env.get("python")))], ["platform", escape(str(env.get("platform", "")))],
            ["base image", escape(f"{base.get('ref')} ({base.get('id')})" if base else "unknown")]]
    for service, image in (env.get("images") or {}).items():
        rows.append([f"image of {escape(service)}", escape(f"{image.get('ref')} ({image.get('id')})")])
    timeline = data.get("timeline") or {}
    if timeline:
        rows.append(["timeline", escape(f"{timeline.get('file')}: {timeline.get('records')} records "
                                        f"({timeline.get('samples')} samples, {timeline.get('traffic')} requests, "
                                        f"{timeline.get('events')} events)")])
    examples = data.get("examples") or []
    rows.append(["fuzzing examples", escape(str(len(examples)))])
    return "<details><summary>Environment</summary>" + _table(["", ""], rows) + "</details>"


def render_report(suite: Suite) -> str:
    """The whole report page."""
    state = PASS if suite.ok else (FAIL if suite.count(FAIL) else ERROR)
    rows = []
    for i, journal in enumerate(suite.journals):
        data = journal.data
        rows.append([_badge(status(journal)), f'<a href="#{_anchor(i)}">{escape(journal.scenario_path)}</a>',
                     escape(data["scenario"]["expect"]), escape(data["outcome"]), escape(journal.first_violation),
                     str(data["seed"]), f"{data.get('duration_s', 0):.0f}s"])
    for unrun in suite.unrun:
        rows.append([_badge(ERROR), escape(unrun.path), "", "could not run", escape(unrun.message), "", ""])
    _, color = _BADGE[state]
    generated = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    body = [f"<h1>chaos-fleet report</h1><div class=\"meta\">generated {generated}</div>",
            f'<div class="banner" style="background:{color}">{escape(suite.headline())}</div>',
            _table(["", "scenario", "expect", "outcome", "first violation", "seed", "time"], rows, numeric=(5, 6))]
    body += [_run(i, journal) for i, journal in enumerate(suite.journals)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>chaos-fleet: {escape(suite.headline())}</title><style>{_CSS}</style></head>"
            f"<body><main>{''.join(body)}</main></body></html>\n")


def write_report(suite: Suite, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(suite), encoding="utf-8")
    return path
