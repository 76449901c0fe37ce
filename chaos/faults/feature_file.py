"""Feature files: the config artefact the harness pushes and fuzzes.

A feature file is JSON, `{"features": [{"name": ..., "weight": ...}, ...]}`:
a list of named features, which is what the fleets under test load and
what grew past its limit on 18 November 2025.
"""

from __future__ import annotations

import json


def feature_file(count: int, *, duplicates: int = 0) -> bytes:
    """A file of `count` distinct features followed by `duplicates` repeated rows."""
    if count < 0 or duplicates < 0:
        raise ValueError(f"expected counts >= 0, got count={count}, duplicates={duplicates}")
    rows = [{"name": f"feature_{i:05d}", "weight": round((i * 37 % 100) / 100, 2)} for i in range(count)]
    rows += [dict(rows[i % count]) for i in range(duplicates)] if count else []
    return json.dumps({"features": rows}, separators=(",", ":")).encode()
