"""The feature file: what the generator builds, the control plane stores and
the edge nodes load. Shared by every service of the reference fleet.

A file is JSON: {"features": [{"name": ..., "weight": ...}, ...]}.
"""

import hashlib
import json
import math

# The "database": 8 shards of 15 feature rows each, 120 features in all, so
# a file with every row duplicated (240) crosses the default limit of 200,
# as the doubled file did on 18 November 2025.
MAX_WEIGHT = 1e6
SHARDS = 8
ROWS_PER_SHARD = 15


def database_rows():
    rows = []
    for shard in range(SHARDS):
        for row in range(ROWS_PER_SHARD):
            index = shard * ROWS_PER_SHARD + row
            rows.append({"name": "feature_%03d" % index, "weight": round(((index * 37) % 100) / 100.0, 2)})
    return rows


def build(duplicated=False):
    """The file a query against one shard node returns; an updated node doubles it."""
    rows = database_rows()
    if duplicated:
        rows = rows + [dict(row) for row in rows]
    return json.dumps({"features": rows}, separators=(",", ":")).encode()


def digest(raw):
    return hashlib.sha256(raw).hexdigest()[:12]


def parse(raw):
    """Parse a feature file; raises ValueError with a short reason."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("not a JSON feature file: %s" % exc) from None
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise ValueError("expected an object with a 'features' list")
    features = data["features"]
    for item in features:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ValueError("every feature needs a text 'name'")
        weight = item.get("weight", 0)
        # NaN, infinities and absurd weights would break every score computed later.
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) \
                or abs(weight) > MAX_WEIGHT:
            raise ValueError("feature %r has weight %r, expected a number within +-%g" % (item["name"][:40], weight, MAX_WEIGHT))
    return features
