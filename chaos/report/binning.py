"""The timeline aggregated into time bins, so a picture costs the same for any run length or probe rate.

A node's state in a bin is the worst it was at any moment of that bin (the
state carried in from the sample before the bin counts), because a crash
shorter than a bin must still show. Traffic is binned coarser than
states: an error rate over a handful of requests is noise.

Node states, from best to worst (the index is the code in `NodeStates.codes`):

    healthy     running and its health check passed
    wrong       healthy, but serving wrong results (its last answer by then was wrong)
    unhealthy   running, health check failing
    paused      container paused
    down        container restarting, exited, created or missing
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

NODE_STATES = ("healthy", "wrong", "unhealthy", "paused", "down")
NO_DATA = -1
HEALTHY, WRONG, UNHEALTHY, PAUSED, DOWN = range(len(NODE_STATES))
MAX_STATE_BINS = 400
MAX_TRAFFIC_BINS = 150
MIN_STATE_WIDTH = 0.1
MIN_TRAFFIC_WIDTH = 0.5

Record = dict[str, Any]


def bin_width(end: float, *, bins: int, minimum: float) -> float:
    """The width that covers `end` seconds in at most `bins` bins, and never less than `minimum`."""
    return max(end / bins, minimum)


@dataclass(frozen=True)
class NodeStates:
    """Per node, per bin: the worst state code (see NODE_STATES), or NO_DATA before the first sample."""

    nodes: list[str]
    services: list[str]  # the service of each node, in the same order
    width: float
    codes: np.ndarray  # int8, shape (len(nodes), bins)

    @property
    def bins(self) -> int:
        return int(self.codes.shape[1])


@dataclass(frozen=True)
class TrafficSeries:
    """Per bin: requests, failed, wrong (among successful) and latency percentiles (seconds; NaN when none)."""

    services: list[str]
    width: float
    requests: np.ndarray
    failed: np.ndarray
    wrong: np.ndarray
    p50: np.ndarray
    p99: np.ndarray

    @property
    def starts(self) -> np.ndarray:
        return np.arange(len(self.requests)) * self.width

    @property
    def error_rate(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.requests > 0, self.failed / np.maximum(self.requests, 1), np.nan)

    @property
    def wrong_rate(self) -> np.ndarray:
        succeeded = self.requests - self.failed
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(succeeded > 0, self.wrong / np.maximum(succeeded, 1), np.nan)


def _state(sample: Record) -> int:
    container = sample.get("container", "running")
    if container == "paused":
        return PAUSED
    if container != "running":
        return DOWN
    return HEALTHY if sample.get("healthy") else UNHEALTHY


def _worst(shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per row and bin, the worst value the row had at any moment of the bin: the values seen in the
    bin and the one carried in from before it. NO_DATA before a row's first value. `values` in time order."""
    worst = np.full(shape, NO_DATA, dtype=np.int8)
    np.maximum.at(worst, (rows, cols), values.astype(np.int8))
    # The last value of each (row, bin): the first in reverse order.
    keys = (rows * shape[1] + cols)[::-1]
    _, first = np.unique(keys, return_index=True)
    chosen = len(keys) - 1 - first
    last = np.full(shape, NO_DATA, dtype=np.int8)
    last[rows[chosen], cols[chosen]] = values[chosen]
    columns = np.arange(shape[1])
    for i in np.unique(rows):
        index = np.where(last[i] >= 0, columns, 0)
        np.maximum.accumulate(index, out=index)
        carried = last[i][index]  # the value as of the end of each bin
        worst[i, 1:] = np.maximum(worst[i, 1:], carried[:-1])
    return worst


def node_states(records: Iterable[Record], nodes: dict[str, list[str]], *, end: float,
                width: float | None = None) -> NodeStates:
    """Bin the samples (and wrong traffic) of every node named in `nodes` (service -> nodes), and of any other sampled."""
    records = list(records)
    width = width or bin_width(end, bins=MAX_STATE_BINS, minimum=MIN_STATE_WIDTH)
    bins = max(1, math.ceil(end / width) if end > 0 else 1)
    order: list[str] = []
    service_of: dict[str, str] = {}
    for service, names in nodes.items():
        for name in names:
            if name not in service_of:
                order.append(name)
                service_of[name] = service
    for record in records:
        if record["kind"] == "sample" and record["node"] not in service_of:
            order.append(record["node"])
            service_of[record["node"]] = record["service"]
    row = {name: i for i, name in enumerate(order)}

    def at(t: float) -> int:
        return min(bins - 1, max(0, int(t / width)))

    codes = np.full((len(order), bins), NO_DATA, dtype=np.int8)
    samples = [(row[r["node"]], at(r["t"]), _state(r)) for r in records if r["kind"] == "sample"]
    if samples:
        rows_, cols, states = (np.array(column) for column in zip(*samples))
        codes = _worst(codes.shape, rows_, cols, states)
        last = np.full(len(order), -1)
        np.maximum.at(last, rows_, cols)
        # After a node's last sample nothing is known (the recorder stopped): no data, not its last state.
        codes[np.arange(bins)[None, :] > last[:, None]] = NO_DATA
    # A node serves wrong results from a wrong answer until its next right one: probes are sparser than bins.
    answers = [(row[r["node"]], at(r["t"]), int(bool(r.get("wrong")))) for r in records
               if r["kind"] == "traffic" and r.get("ok") and r["node"] in row]
    if answers:
        rows_, cols, wrong = (np.array(column) for column in zip(*answers))
        serving = _worst(codes.shape, rows_, cols, wrong)
        codes = np.where((serving == 1) & (codes >= 0), np.maximum(codes, np.int8(WRONG)), codes).astype(np.int8)
    return NodeStates(order, [service_of[n] for n in order], width, codes)


def traffic_series(records: Iterable[Record], *, end: float, width: float | None = None) -> TrafficSeries:
    """Bin the traffic probe's requests: counts, failures, wrong results and latency percentiles per bin."""
    width = width or bin_width(end, bins=MAX_TRAFFIC_BINS, minimum=MIN_TRAFFIC_WIDTH)
    bins = max(1, math.ceil(end / width) if end > 0 else 1)
    traffic = [r for r in records if r["kind"] == "traffic"]
    services = list(dict.fromkeys(r["service"] for r in traffic))
    index = np.array([min(bins - 1, max(0, int(r["t"] / width))) for r in traffic], dtype=np.int64)
    ok = np.array([bool(r.get("ok")) for r in traffic], dtype=bool)
    wrong = np.array([bool(r.get("wrong")) for r in traffic], dtype=bool) & ok
    requests = np.bincount(index, minlength=bins)
    failed = np.bincount(index, weights=~ok, minlength=bins).astype(np.int64)
    wrongs = np.bincount(index, weights=wrong, minlength=bins).astype(np.int64)
    p50 = np.full(bins, np.nan)
    p99 = np.full(bins, np.nan)
    timed = [(i, r["latency"]) for i, r in zip(index.tolist(), traffic) if r.get("ok") and r.get("latency") is not None]
    if timed:
        where, latency = (np.array(column) for column in zip(*timed))
        order = np.lexsort((latency, where))
        where, latency = where[order], latency[order]
        bounds = np.searchsorted(where, np.arange(bins + 1))
        for b in range(bins):
            chunk = latency[bounds[b]:bounds[b + 1]]
            if len(chunk):
                p50[b] = chunk[int(0.5 * (len(chunk) - 1))]
                p99[b] = chunk[int(math.ceil(0.99 * (len(chunk) - 1)))]
    return TrafficSeries(services, width, requests, failed, wrongs, p50, p99)
