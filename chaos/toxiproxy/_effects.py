"""What each toxic type does to the bytes of one link.

A link walks its proxy's current chain for every chunk (see `_link`), and
hands the chunk to the first active toxic; that toxic's `pipe` decides what
to forward, when, and in how many pieces, by calling `link.forward(...,
after=toxic)`. Sleeps go through `link.nap`, which returns False when the
toxic is updated or removed mid-sleep: the toxic then lets go of what it
holds at once, as Go's toxics do when interrupted.

Go performs no range checks on attributes; where a value would make Go's
goroutine crash or spin (negative sizes, zero rate) the behaviour chosen
here keeps the server alive and is noted beside the code.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._link import Link, ToxicState
    from ._toxics import Toxic

_rng = random.Random()


class Effect:
    """Pass-through; the base of every toxic type."""

    async def pipe(self, link: Link, toxic: Toxic, state: ToxicState, data: bytes, stamp: float) -> None:
        await link.forward(data, stamp, after=toxic)

    async def on_eof(self, link: Link, toxic: Toxic, state: ToxicState) -> None:
        """The source of the link ended; return when the close may go on."""

    def attach(self, link: Link, toxic: Toxic, state: ToxicState) -> None:
        """The toxic starts (or restarts, after an update) running on a live link."""

    def detach(self, link: Link, toxic: Toxic, state: ToxicState) -> None:
        """The toxic was removed from a live link."""


class Latency(Effect):
    async def pipe(self, link: Link, toxic: Toxic, state: ToxicState, data: bytes, stamp: float) -> None:
        delay = toxic.attributes["latency"]
        jitter = toxic.attributes["jitter"]
        if jitter > 0:
            delay += _rng.randrange(-jitter, jitter)
        if delay > 0:
            # Measured from the chunk's arrival, so a stream keeps its
            # throughput and stacked latencies add up.
            target = stamp + delay / 1000.0
            wait = target - link.loop.time()
            if wait > 0 and not await link.nap(toxic, wait):
                target = link.loop.time()
            stamp = target
        await link.forward(data, stamp, after=toxic)


class Bandwidth(Effect):
    async def pipe(self, link: Link, toxic: Toxic, state: ToxicState, data: bytes, stamp: float) -> None:
        rate = toxic.attributes["rate"]
        if rate <= 0:
            # Go never delivers a byte at rate 0 (and crashes below 0); hold
            # the chunk until the toxic changes instead.
            await link.nap(toxic, None)
            await link.forward(data, stamp, after=toxic)
            return
        state.debt += len(data) / (rate * 1000.0)
        piece = rate * 100
        while len(data) > piece:
            if not await link.nap(toxic, 0.1):
                break
            await link.forward(data[:piece], stamp, after=toxic)
            data = data[piece:]
            state.debt -= 0.1
        else:
            if state.debt > 0:
                started = link.loop.time()
                await link.nap(toxic, state.debt)
                state.debt -= link.loop.time() - started
        await link.forward(data, stamp, after=toxic)


class SlowClose(Effect):
    async def on_eof(self, link: Link, toxic: Toxic, state: ToxicState) -> None:
        delay = toxic.attributes["delay"]
        if delay > 0:
            await link.nap(toxic, delay / 1000.0)


class Timeout(Effect):
    async def pipe(self, link: Link, toxic: Toxic, state: ToxicState, data: bytes, stamp: float) -> None:
        # Dropped; the timer measures quiet time, so each drop restarts it.
        if state.timer is not None:
            self.attach(link, toxic, state)

    def attach(self, link: Link, toxic: Toxic, state: ToxicState) -> None:
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
        timeout = toxic.attributes["timeout"]
        if state.active and timeout > 0:
            state.timer = link.loop.call_later(timeout / 1000.0, link.terminate)

    def detach(self, link: Link, toxic: Toxic, state: ToxicState) -> None:
        if state.timer is not None:
            state.timer.cancel()
            state.timer = None
        # Go closes every link a removed timeout was on, even pass-through ones.
        link.terminate()


class ResetPeer(Effect):
    async def pipe(self, link: Link, toxic: Toxic, state: ToxicState, data: bytes, stamp: float) -> None:
        await self._fire(link, toxic, state)

    async def on_eof(self, link: Link, toxic: Toxic, state: ToxicState) -> None:
        await self._fire(link, toxic, state)

    async def _fire(self, link: Link, toxic: Toxic, state: ToxicState) -> None:
        if not state.fired:
            state.fired = True
            timeout = toxic.attributes["timeout"]
            if timeout > 0:
                # Not `nap`: Go's reset cannot be interrupted once triggered.
                await asyncio.sleep(timeout / 1000.0)
        link.terminate()


class Slicer(Effect):
    async def pipe(self, link: Link, toxic: Toxic, state: ToxicState, data: bytes, stamp: float) -> None:
        average = toxic.attributes["average_size"]
        if average <= 0:
            # Go's split never ends at size 0; pass the chunk whole instead.
            await link.forward(data, stamp, after=toxic)
            return
        variation = max(0, toxic.attributes["size_variation"])
        delay = max(0, toxic.attributes["delay"]) / 1_000_000.0
        start = 0
        for count, end in enumerate(cut_points(len(data), average, variation), start=1):
            await link.forward(data[start:end], stamp, after=toxic)
            start = end
            if delay > 0:
                if not await link.nap(toxic, delay):
                    break
            elif count % 256 == 0:
                # Tiny pieces with no delay: let the API and other links run.
                await asyncio.sleep(0)
        if start < len(data):
            await link.forward(data[start:], stamp, after=toxic)


def cut_points(length: int, average: int, variation: int) -> list[int]:
    """Where the slicer cuts a chunk: halve, shift by up to ±variation, repeat (as Go)."""
    ends: list[int] = []
    stack = [(0, length)]
    while stack:
        start, end = stack.pop()
        if end - start - average <= variation:
            ends.append(end)
            continue
        middle = start + (end - start) // 2
        if variation > 0:
            middle += _rng.randrange(-variation, variation)
        middle = min(max(middle, start + 1), end - 1)
        stack.append((middle, end))
        stack.append((start, middle))
    return ends


class LimitData(Effect):
    async def pipe(self, link: Link, toxic: Toxic, state: ToxicState, data: bytes, stamp: float) -> None:
        limit = max(0, toxic.attributes["bytes"])
        room = limit - state.count
        if room > 0:
            if len(data) > room:
                data = data[:room]
            state.count += len(data)
            await link.forward(data, stamp, after=toxic)
        if state.count >= limit:
            link.terminate()


EFFECTS: dict[str, Effect] = {
    "latency": Latency(),
    "bandwidth": Bandwidth(),
    "slow_close": SlowClose(),
    "timeout": Timeout(),
    "reset_peer": ResetPeer(),
    "slicer": Slicer(),
    "limit_data": LimitData(),
    "noop": Effect(),
}


def draw(toxicity: float) -> bool:
    """Whether a toxic acts on a link: drawn once per link and toxic, as Go does."""
    return toxicity >= 1 or (toxicity > 0 and _rng.random() < toxicity)
