"""Toxics as the API sees them: types, attributes, JSON form.

What a toxic does to bytes lives in `_effects`; this module only knows what
a toxic *is*, so the API can validate and list toxics without touching the
data path.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from ._gojson import INT64, float32_json

UPSTREAM = "upstream"
DOWNSTREAM = "downstream"
STREAMS = (UPSTREAM, DOWNSTREAM)

# Attribute names in the order Go's structs declare them, which is the order
# they are written back in.
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "latency": ("latency", "jitter"),
    "bandwidth": ("rate",),
    "slow_close": ("delay",),
    "timeout": ("timeout",),
    "reset_peer": ("timeout",),
    "slicer": ("average_size", "size_variation", "delay"),
    "limit_data": ("bytes",),
    "noop": (),
}

# Go's struct names, so attribute errors read like the reference server's.
STRUCT_NAMES: dict[str, str] = {
    "latency": "toxics.LatencyToxic",
    "bandwidth": "toxics.BandwidthToxic",
    "slow_close": "toxics.SlowCloseToxic",
    "timeout": "toxics.TimeoutToxic",
    "reset_peer": "toxics.ResetToxic",
    "slicer": "toxics.SlicerToxic",
    "limit_data": "toxics.LimitDataToxic",
    "noop": "toxics.NoopToxic",
}

_sequence = itertools.count()


def attribute_fields(toxic_type: str) -> dict[str, str]:
    """The decodable fields of a toxic type's attributes (all int64)."""
    return {name: INT64 for name in ATTRIBUTES[toxic_type]}


@dataclass(eq=False)
class Toxic:
    """One toxic of one proxy; identity matters, so it is never compared by value.

    `seq` orders toxics: a chain is always sorted by it because toxics are
    only ever appended, which lets a link find "the toxic after this one"
    even when that one has just been removed.
    """

    name: str
    type: str
    stream: str
    toxicity: float
    attributes: dict[str, int]
    seq: int = field(default_factory=lambda: next(_sequence))

    def to_json(self) -> dict[str, object]:
        return {
            "attributes": {name: self.attributes[name] for name in ATTRIBUTES[self.type]},
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": float32_json(self.toxicity),
        }


def new_toxic(*, name: str, toxic_type: str, stream: str, toxicity: float, attributes: dict[str, int]) -> Toxic:
    """A toxic with every attribute of its type present (0 unless given)."""
    values = {attr: int(attributes.get(attr, 0)) for attr in ATTRIBUTES[toxic_type]}
    return Toxic(name=name, type=toxic_type, stream=stream, toxicity=toxicity, attributes=values)
