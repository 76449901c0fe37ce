"""The timeline picture: per-node state as a heat map over time, the fleet's error rate and latency below it.

Fault windows are shaded across every panel, steps are marked by dotted
lines and labelled above the heat map, and each violation is a red dashed
line at the instant its verdict points at, with its nodes crossed out.
Drawn with matplotlib's object API (no pyplot: no global state, no GUI
backend) into SVG, whose heat map is one small embedded image however long
the run was.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from chaos.report.binning import NODE_STATES, NodeStates, TrafficSeries

# No-data first, then NODE_STATES in order.
STATE_COLORS = ("#e8e8e8", "#3a9d5d", "#e2b007", "#f07f2d", "#7d6bc6", "#cf3434")
NO_DATA_LABEL = "no sample"
FAULT_COLOR = "#5b6b7f"
VIOLATION_COLOR = "#c00000"
STEP_COLOR = "#333333"
WIDTH_IN = 13.0
ROW_IN = 0.16
PANEL_IN = 1.5
LEFT, RIGHT = 0.1, 0.985  # the axes' margins, as fractions of the width
MAX_LABELLED_ROWS = 40
LABEL_LEVELS = 4


def _short(nodes: list[str], *, keep: int = 3) -> str:
    return ", ".join(nodes[:keep]) + (f" +{len(nodes) - keep}" if len(nodes) > keep else "")


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as (first, count) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and runs[-1][0] + runs[-1][1] == r:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((r, 1))
    return runs


def _char_seconds(span: float, axis_in: float) -> float:
    """The seconds of the time axis that one character of a label covers."""
    return 0.075 / axis_in * span


def _grouped(marks: list[tuple[float, str, str]], *, near: float) -> list[tuple[float, str, str]]:
    """Labels of one colour closer in time than `near` joined into one, e.g. `rollback, recover`."""
    grouped: list[tuple[float, str, str]] = []
    for x, text, color in marks:
        if grouped and grouped[-1][2] == color and x - grouped[-1][0] <= near:
            grouped[-1] = (grouped[-1][0], f"{grouped[-1][1]}, {text}", color)
        else:
            grouped.append((x, text, color))
    return grouped


def _levels(marks: list[tuple[float, str]], *, span: float, axis_in: float) -> list[int]:
    """A row for each label above the heat map, so that labels close in time do not overprint."""
    char = _char_seconds(span, axis_in)
    ends = [-math.inf] * LABEL_LEVELS
    levels = []
    for x, text in marks:
        level = next((i for i, e in enumerate(ends) if x >= e), min(range(LABEL_LEVELS), key=lambda i: ends[i]))
        ends[level] = x + (len(text) + 2) * char
        levels.append(level)
    return levels


def _heat_map(ax: Any, states: NodeStates) -> None:
    cmap = ListedColormap(STATE_COLORS)
    norm = BoundaryNorm(np.arange(-1.5, len(NODE_STATES)), cmap.N)
    rows = len(states.nodes)
    # interpolation="none" embeds the bins as they are: a tiny image the browser scales pixel-sharp.
    ax.imshow(states.codes, aspect="auto", interpolation="none", cmap=cmap, norm=norm,
              extent=(0, states.bins * states.width, rows, 0))
    for i in range(1, rows):
        if states.services[i] != states.services[i - 1]:
            ax.axhline(i, color="white", linewidth=2)
    if rows <= MAX_LABELLED_ROWS:
        ax.set_yticks(np.arange(rows) + 0.5, states.nodes, fontsize=7)
    else:
        groups: dict[str, list[int]] = {}
        for i, service in enumerate(states.services):
            groups.setdefault(service, []).append(i)
        ax.set_yticks([(g[0] + g[-1] + 1) / 2 for g in groups.values()],
                      [f"{service} ({len(g)})" for service, g in groups.items()], fontsize=8)
    ax.tick_params(axis="y", length=0)
    ax.set_ylabel("node state")


def _traffic(rate: Any, latency: Any, traffic: TrafficSeries) -> None:
    starts = traffic.starts + traffic.width / 2
    errors, wrongs = traffic.error_rate * 100, traffic.wrong_rate * 100
    rate.plot(starts, errors, color="#cf3434", linewidth=1.4, label="failed requests")
    rate.plot(starts, wrongs, color="#e2b007", linewidth=1.4, label="wrong results (of successful)")
    peak = np.nanmax(np.concatenate([errors, wrongs, [0.0]]))
    rate.set_ylim(0, max(5.0, peak * 1.1))
    rate.set_ylabel("% of requests")
    rate.set_title(f"traffic to {', '.join(traffic.services)} ({traffic.width:.2g}s bins)", fontsize=8, loc="left")
    latency.plot(starts, traffic.p50 * 1000, color="#2f6db5", linewidth=1.2, label="p50")
    latency.plot(starts, traffic.p99 * 1000, color="#2f6db5", linewidth=1.0, linestyle="--", label="p99")
    latency.set_ylim(bottom=0)
    latency.set_ylabel("latency (ms)")
    for ax in (rate, latency):
        ax.legend(loc="upper right", fontsize=7, frameon=False, ncol=2)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.tick_params(labelsize=8)


def _faults(axes: list[Any], faults: list[dict[str, Any]], row: dict[str, int], *, span: float) -> None:
    heat, rows = axes[0], len(row)
    for fault in faults:
        until = fault["healed"] if fault.get("healed") is not None else span
        # Hatched over the rows of the nodes it hit (the heat map's colours must stay readable), tinted below.
        hit = sorted(row[n] for n in fault.get("nodes", []) if n in row) or list(range(rows))
        for first, count in _runs(hit):
            heat.add_patch(Rectangle((fault["applied"], first), until - fault["applied"], count, facecolor="none",
                                     edgecolor=FAULT_COLOR, hatch="///", linewidth=0.8, alpha=0.8, zorder=2))
        for ax in axes[1:]:
            ax.axvspan(fault["applied"], until, color=FAULT_COLOR, alpha=0.16, linewidth=0)
        heat.annotate(f"{fault['kind']}: {_short(fault['nodes'])}", xy=(fault["applied"], rows), xytext=(3, 2),
                      textcoords="offset points", fontsize=7, color="black", va="bottom", ha="left")


def _marks(axes: list[Any], journal: dict[str, Any], row: dict[str, int], *, span: float) -> None:
    """Dotted lines at step starts, dashed red ones at violations (their nodes crossed out), labels above."""
    heat = axes[0]
    marks: list[tuple[float, str, str]] = [(step["started"], step["id"], STEP_COLOR)
                                           for step in journal.get("steps", []) if step.get("started") is not None]
    for verdict in [journal.get("stopped_by")] + list(journal.get("verdicts", [])):
        if verdict and not verdict["held"] and verdict.get("at") is not None:
            marks.append((verdict["at"], f"\u2717 {verdict['invariant']}", VIOLATION_COLOR))
            hit = [row[n] + 0.5 for n in verdict.get("nodes", []) if n in row]
            for size, color, width, z in ((22, "white", 2.2, 4), (18, VIOLATION_COLOR, 1.2, 5)):
                heat.scatter([verdict["at"]] * len(hit), hit, marker="x", s=size, color=color, linewidths=width,
                             zorder=z)
    marks.sort(key=lambda m: m[0])
    for x, _, color in marks:
        violation = color == VIOLATION_COLOR
        for ax in axes:
            ax.axvline(x, color=color, linestyle="--" if violation else ":", linewidth=1.3 if violation else 0.9,
                       zorder=3)
    axis_in = WIDTH_IN * (RIGHT - LEFT)
    labels = _grouped(marks, near=2 * _char_seconds(span, axis_in))
    for (x, text, color), level in zip(labels, _levels([(m[0], m[1]) for m in labels], span=span, axis_in=axis_in)):
        heat.annotate(text, xy=(x, 1), xycoords=("data", "axes fraction"), xytext=(2, 4 + 11 * level),
                      textcoords="offset points", fontsize=7.5, color=color, ha="left", va="bottom",
                      fontweight="bold" if color == VIOLATION_COLOR else "normal", annotation_clip=False)


def draw_timeline(states: NodeStates, traffic: TrafficSeries, journal: dict[str, Any], *,
                  end: float) -> bytes:
    """The picture of one run, as SVG bytes."""
    rows = len(states.nodes)
    heat_in = min(max(ROW_IN * rows, 1.2), 7.0)
    has_traffic = bool(traffic.requests.sum())
    ratios = [heat_in] + ([PANEL_IN, PANEL_IN] if has_traffic else [])
    top_in, bottom_in = 0.35 + 0.16 * LABEL_LEVELS, 0.75
    height = top_in + sum(ratios) + bottom_in + (0.3 if has_traffic else 0)
    fig = Figure(figsize=(WIDTH_IN, height))
    FigureCanvasSVG(fig)
    axes = list(np.atleast_1d(fig.subplots(len(ratios), 1, sharex=True,
                                           gridspec_kw={"height_ratios": ratios, "hspace": 0.3})))
    fig.subplots_adjust(left=LEFT, right=RIGHT, top=1 - top_in / height, bottom=bottom_in / height)
    span = max(end, states.bins * states.width, 1e-6)
    row = {n: i for i, n in enumerate(states.nodes)}
    _heat_map(axes[0], states)
    if has_traffic:
        _traffic(axes[1], axes[2], traffic)
    axes[-1].set_xlabel("seconds since the fleet was up")
    axes[-1].set_xlim(0, span)
    _faults(axes, journal.get("faults", []), row, span=span)
    _marks(axes, journal, row, span=span)

    handles = [Patch(color=STATE_COLORS[0], label=NO_DATA_LABEL)] + [
        Patch(color=c, label=s) for c, s in zip(STATE_COLORS[1:], NODE_STATES)]
    handles.append(Patch(facecolor="none", edgecolor=FAULT_COLOR, hatch="///", label="fault window"))
    fig.legend(handles=handles, loc="upper right", ncol=len(handles), fontsize=7.5, frameon=False,
               bbox_to_anchor=(RIGHT, 1.0))
    fig.text(LEFT, 1 - 0.08 / height, f"{journal['scenario']['title']}  \u2014  {journal['outcome']}",
             fontsize=10, fontweight="bold", va="top", ha="left")
    out = io.BytesIO()
    # A fixed salt (instead of a random one per figure) for the SVG's ids: the same journal gives the same bytes.
    with rc_context({"svg.hashsalt": "chaos-fleet"}):
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
