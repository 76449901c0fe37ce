"""Scenario texts for the fuzz unit tests, against the real reference fleet file (read, never started)."""

from __future__ import annotations

from pathlib import Path

from chaos.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[3]
EDGEFLEET = ROOT / "compose" / "edgefleet" / "compose.yaml"

FILES = f"""\
title: panic limit
seed: 5
expect: violation
fleet:
  file: {EDGEFLEET}
  replicas: {{edge: 3}}
  environment:
    edge: {{EDGE_MODE: panic, FEATURE_LIMIT: 200}}
steady_state:
  - {{healthy: edge, at_least: 1.0}}
steps:
  - id: warm-up
    wait: {{for: 0.1}}
  - id: push
    action: push
    with: {{features: 10}}
invariants:
  - name: edges-stay-up
    always: {{healthy: edge, at_least: 1.0}}
  - name: no-restarts
    never: {{restarts: edge, above: 0}}
fuzz:
  strategy: feature_files
  bounds: {{limit: 200, vary: [duplicates, names]}}
  invariants: [edges-stay-up]
  max_examples: 200
  settle: 0.7
"""

STEPS = f"""\
title: quorum steps
seed: 11
expect: violation
fleet:
  file: {EDGEFLEET}
  replicas: {{edge: 3}}
targets:
  one-edge: {{service: edge, select: COUNT(1)}}
steps:
  - id: push
    action: push
    with: {{features: 10}}
  - id: rollback
    action: rollback
  - id: kill
    fault: {{kind: kill, target: one-edge}}
    heal: heal
  - id: cut-control-plane
    fault: {{kind: control_plane_unreachable, target: edge, link: controlplane}}
    heal: heal
  - id: slow-links
    fault: {{kind: latency, target: edge, link: controlplane, params: {{latency: 500}}}}
    heal: heal
  - id: heal
    wait: {{for: 0.5}}
invariants:
  - name: keeps-serving
    always: {{serving: edge, at_least: 0.6}}
  - name: rollback-converges
    eventually: {{healthy: edge, on_version: baseline, at_least: 0.95}}
    within: 6
    after: rollback
fuzz:
  strategy: fleet_steps
  bounds: {{counts: boundaries, vary: [], max_steps: 3}}
  max_examples: 40
  settle: 0.6
"""


def scenario(text: str, tmp_path: Path, name: str = "fuzz.yaml") -> Scenario:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)
