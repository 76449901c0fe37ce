"""A feature file described by a handful of choices, and the bytes it renders to.

The fuzzer draws a `FeatureFileSpec`, not a list of rows: a spec is a few
numbers and words (rows, duplicates, the shape of the names, ...), so
Hypothesis shrinks a failing file in a few steps per choice, where a list of
201 drawn rows would take hundreds of pushes against a live fleet. Every
choice has a plain first value, which is what shrinking moves toward, so a
minimal failing spec differs from a plain file only where it has to.

    FeatureFileSpec(rows=201).render()          # 201 plain features, compact UTF-8 JSON
    FeatureFileSpec(rows=150, duplicates=51)    # the 18 November 2025 shape: rows repeated
    FeatureFileSpec(rows=3, shape="truncated", cut=0.5).render()

Choices (the first of each is the plain one):

| field | values |
| --- | --- |
| rows | feature rows in the file, duplicates included: what a feature limit counts |
| duplicates | how many of those rows repeat an earlier row |
| duplicate_style | exact (the same row again), same-name (the name again, the weight as text) |
| names | plain, empty, one-char, long (256), huge (4096), unicode, spaces, control, numeric |
| weights | plain, zero, negative, huge, tiny, nan, infinity, text, null, bool, missing, list |
| extra_fields | unknown fields added to the first 100 rows and to the top level |
| order | generated, reversed, by-name, interleaved (each duplicate right after its original) |
| encoding | utf-8, ascii-escaped, pretty; malformed: utf-8-bom, utf-16, latin-1, invalid-utf-8 |
| shape | object; malformed: empty-file, whitespace, not-json, bare-list, no-features-key, features-null, features-object, rows-not-objects, names-not-text, truncated |
| cut | where a truncated file ends, as a share of its bytes |
| padding | trailing whitespace bytes (still valid JSON), for large byte sizes |
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

NAME_STYLES = ("plain", "empty", "one-char", "long", "huge", "unicode", "spaces", "control", "numeric")
WEIGHT_STYLES = ("plain", "zero", "negative", "huge", "tiny", "nan", "infinity", "text", "null", "bool", "missing",
                 "list")
DUPLICATE_STYLES = ("exact", "same-name")
ORDERS = ("generated", "reversed", "by-name", "interleaved")
VALID_ENCODINGS = ("utf-8", "ascii-escaped", "pretty")
BROKEN_ENCODINGS = ("utf-8-bom", "utf-16", "latin-1", "invalid-utf-8")
VALID_SHAPES = ("object",)
BROKEN_SHAPES = ("empty-file", "whitespace", "not-json", "bare-list", "no-features-key", "features-null",
                 "features-object", "rows-not-objects", "names-not-text", "truncated")
NAME_LENGTHS = {"long": 256, "huge": 4096}
# Unknown fields go on the first rows only: enough to exercise a reader, without multiplying a large file.
EXTRA_FIELD_ROWS = 100
DEFAULT_MAX_BYTES = 262144


@dataclass(frozen=True)
class FeatureFileSpec:
    """One feature file as a few choices; `render()` gives its bytes. See the module's table."""

    rows: int
    duplicates: int = 0
    duplicate_style: str = "exact"
    names: str = "plain"
    weights: str = "plain"
    extra_fields: int = 0
    order: str = "generated"
    encoding: str = "utf-8"
    shape: str = "object"
    cut: float = 0.5
    padding: int = 0
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        for name, value, allowed in (("duplicate_style", self.duplicate_style, DUPLICATE_STYLES),
                                     ("names", self.names, NAME_STYLES), ("weights", self.weights, WEIGHT_STYLES),
                                     ("order", self.order, ORDERS),
                                     ("encoding", self.encoding, VALID_ENCODINGS + BROKEN_ENCODINGS),
                                     ("shape", self.shape, VALID_SHAPES + BROKEN_SHAPES)):
            if value not in allowed:
                raise ValueError(f"FeatureFileSpec.{name}: expected one of {', '.join(allowed)}, found {value!r}")
        if self.rows < 0 or not 0 <= self.duplicates <= self.rows:
            raise ValueError(f"FeatureFileSpec: expected rows >= 0 and 0 <= duplicates <= rows, "
                             f"found rows={self.rows}, duplicates={self.duplicates}")
        if self.extra_fields < 0 or self.padding < 0 or not 0.0 <= self.cut <= 1.0:
            raise ValueError(f"FeatureFileSpec: expected extra_fields >= 0, padding >= 0 and 0 <= cut <= 1, found "
                             f"extra_fields={self.extra_fields}, padding={self.padding}, cut={self.cut}")

    # -- what it is ----------------------------------------------------------

    @property
    def malformed(self) -> bool:
        """Whether the bytes are not a well-formed feature file (a strict reader must reject them)."""
        return self.shape != "object" or self.encoding in BROKEN_ENCODINGS

    def describe(self) -> str:
        """One line, naming only what differs from a plain file: `201 rows, 51 duplicates (exact), names huge`."""
        parts = [f"{self.rows} row{'s' if self.rows != 1 else ''}"]
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate{'s' if self.duplicates != 1 else ''} ({self.duplicate_style})")
        plain = FeatureFileSpec(0)
        for name in ("names", "weights", "extra_fields", "order", "encoding", "shape", "padding"):
            value = getattr(self, name)
            if value != getattr(plain, name):
                parts.append(f"{name.replace('_', ' ')} {value}")
        if self.shape == "truncated":
            parts.append(f"cut at {self.cut:.0%}")
        return ", ".join(parts)

    def replace(self, **changes: Any) -> FeatureFileSpec:
        return dataclasses.replace(self, **changes)

    # -- the bytes ------------------------------------------------------------

    def render(self) -> bytes:
        """The file's bytes; the same spec always gives the same bytes."""
        if self.shape == "empty-file":
            return b""
        if self.shape == "whitespace":
            return b" \n\t\n"
        rows = self._rows()
        if self.shape == "not-json":
            text = "".join(f"{row.get('name', '')},{row.get('weight', '')}\n" for row in rows)
            return ("features:\n" + text).encode("utf-8", errors="replace")
        document = self._document(rows)
        text = self._text(document)
        if self.padding:
            text += " " * self._padding(len(text))
        data = self._encode(text)
        if self.shape == "truncated":
            data = data[: int(len(data) * self.cut)]
        return data

    def _name(self, index: int) -> str:
        style = self.names
        if style == "plain":
            return f"feature_{index:05d}"
        if style == "empty":
            return ""
        if style == "one-char":
            return chr(ord("a") + index % 26)
        if style in NAME_LENGTHS:
            tail = f"_{index:05d}"
            # Long names stay within max_bytes where the row count allows.
            length = min(NAME_LENGTHS[style], max(len(tail), self.max_bytes // max(self.rows, 1) - 32))
            return "n" * (length - len(tail)) + tail
        if style == "unicode":
            return f"fëature_{index:05d}_名前_🚀"
        if style == "spaces":
            return f"  feature {index}  "
        if style == "control":
            return f"feature\t{index}\n\x01"
        return str(index)

    def _weight(self, index: int) -> Any:
        plain = round((index * 37 % 100) / 100, 2)
        return {
            "plain": plain, "zero": 0, "negative": -plain - 0.01, "huge": 1e308, "tiny": 5e-324,
            "nan": float("nan"), "infinity": float("inf"), "text": str(plain), "null": None, "bool": True,
            "list": [plain],
        }.get(self.weights)

    def _rows(self) -> list[dict[str, Any]]:
        unique = self.rows - self.duplicates
        rows = []
        for index in range(unique):
            row: dict[str, Any] = {"name": self._name(index)}
            if self.weights != "missing":
                row["weight"] = self._weight(index)
            if index < EXTRA_FIELD_ROWS:
                for extra in range(self.extra_fields):
                    row[f"x_unknown_{extra}"] = "?" * (extra + 1)
            if self.shape == "names-not-text":
                row["name"] = index
            rows.append(row)
        copies = []
        for index in range(self.duplicates):
            # With no unique row to repeat, a duplicate repeats the first row a plain file would have.
            original = dict(rows[index % unique]) if unique else {"name": self._name(0), "weight": self._weight(0)}
            if self.duplicate_style == "same-name":
                original["weight"] = str(original.get("weight"))
            copies.append(original)
        if self.order == "interleaved" and unique:
            merged: list[dict[str, Any]] = []
            for index, row in enumerate(rows):
                merged.append(row)
                merged.extend(copies[i] for i in range(index, len(copies), unique))
            return merged
        ordered = rows + copies
        if self.order == "reversed":
            ordered.reverse()
        elif self.order == "by-name":
            ordered.sort(key=lambda row: str(row.get("name")))
        return ordered

    def _document(self, rows: list[dict[str, Any]]) -> Any:
        extras = {f"x_unknown_{i}": i for i in range(self.extra_fields)}
        if self.shape == "bare-list":
            return rows
        if self.shape == "no-features-key":
            return {"feature": rows, **extras}
        if self.shape == "features-null":
            return {"features": None, **extras}
        if self.shape == "features-object":
            return {"features": {str(row.get("name")): row.get("weight") for row in rows}, **extras}
        if self.shape == "rows-not-objects":
            return {"features": [row.get("name") for row in rows], **extras}
        return {"features": rows, **extras}

    def _text(self, document: Any) -> str:
        if self.encoding == "pretty":
            return json.dumps(document, indent=2, ensure_ascii=False)
        return json.dumps(document, separators=(",", ":"), ensure_ascii=self.encoding == "ascii-escaped")

    def _padding(self, size: int) -> int:
        return max(0, min(self.padding, self.max_bytes - size))

    def _encode(self, text: str) -> bytes:
        if self.encoding == "utf-8-bom":
            return b"\xef\xbb\xbf" + text.encode("utf-8")
        if self.encoding == "utf-16":
            return text.encode("utf-16")
        # The odd bytes go inside the first name (or the first string), so the encoding is the only fault.
        data = text.encode("utf-8")
        marker = b'"name":"' if b'"name":"' in data else b'"'
        at = data.find(marker) + len(marker) if marker in data else 0
        if self.encoding == "latin-1":
            # \xe9 is e-acute in Latin-1 and never valid UTF-8 before an ASCII byte.
            return data[:at] + b"\xe9" + data[at:]
        if self.encoding == "invalid-utf-8":
            return data[:at] + b"\xff\xfe" + data[at:]
        return data
