"""A fuzz block resolved against its fleet file: the pushed step, the state machine's moves, what is left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_scenarios import FILES, STEPS, scenario

from chaos.errors import UsageError
from chaos.fleet.compose import load_fleet
from chaos.fuzz.plan import checked_steps, has_links, make_plan

NO_LINKS = """\
services:
  controlplane: {image: cp, ports: ["8000"]}
  origin: {image: origin, ports: ["8000"]}
  edge: {image: edge, ports: ["8080"], deploy: {replicas: 3}}
x-chaos:
  health:
    controlplane: {port: 8000, version: active_version}
    edge: {port: 8080, version: version}
  actions:
    push: {service: controlplane, path: /config, body: features}
    rollback: {service: controlplane, path: /rollback}
"""


def no_links_fleet(tmp_path: Path, text: str) -> str:
    (tmp_path / "fleet.yaml").write_text(NO_LINKS, encoding="utf-8")
    start = text.index("  file: ")
    end = text.index("\n", start)
    return text[:start] + f"  file: {tmp_path / 'fleet.yaml'}" + text[end:]


def test_feature_files_pushes_the_first_step_that_takes_a_file(tmp_path: Path) -> None:
    s = scenario(FILES, tmp_path)
    plan = make_plan(s, load_fleet(s.fleet.file))
    assert plan.push_step is not None and plan.push_step.id == "push"
    assert [i.name for i in plan.invariants] == ["edges-stay-up"]
    assert plan.file_arguments() == {"limit": 200, "max_rows": None, "max_bytes": 262144, "counts": "any",
                                     "vary": ("duplicates", "names")}
    assert checked_steps(plan) == s.steps


def test_fuzz_step_must_take_a_file(tmp_path: Path) -> None:
    s = scenario(FILES.replace("  settle: 0.7", "  settle: 0.7\n  step: warm-up"), tmp_path)
    with pytest.raises(UsageError, match=r"fuzz.yaml:\d+:\d+: fuzz.step: expected a step whose action takes a file "
                                         r"\(push\), found step 'warm-up' \(wait\)"):
        make_plan(s, load_fleet(s.fleet.file))


def test_with_links_every_step_is_a_move(tmp_path: Path) -> None:
    s = scenario(STEPS, tmp_path)
    spec = load_fleet(s.fleet.file)
    assert has_links(spec)
    plan = make_plan(s, spec)
    kinds = {m.name: (m.kind, m.draw, m.link, m.params) for m in plan.moves}
    assert kinds == {
        "push": ("push", False, None, None),
        "rollback": ("action", False, None, None),
        "kill": ("fault", True, None, {}),
        "cut-control-plane": ("cut", True, "controlplane", {}),
        "slow-links": ("link", True, "controlplane", {"latency": 500}),
        "heal": ("wait", False, None, None),
    }
    assert plan.left_out == ()
    assert [i.name for i in plan.invariants_after(plan.moves[0])] == ["keeps-serving"]
    assert [i.name for i in plan.invariants_after(plan.moves[1])] == ["keeps-serving", "rollback-converges"]


def test_without_links_the_cut_pauses_the_control_plane_and_link_faults_are_left_out(tmp_path: Path) -> None:
    s = scenario(no_links_fleet(tmp_path, STEPS), tmp_path)
    plan = make_plan(s, load_fleet(s.fleet.file))
    moves = {m.name: m for m in plan.moves}
    assert "slow-links" not in moves
    assert plan.left_out == ("slow-links: latency acts on links, and this fleet has none",)
    cut = moves["cut-control-plane"]
    assert (cut.kind, cut.draw, cut.link, cut.params) == ("cut", False, "controlplane", {"mode": "pause"})
    # The runner's own checks see neither the left-out move nor the rewritten cut.
    assert [s.id for s in checked_steps(plan)] == ["push", "rollback", "kill", "heal"]


def test_an_invariant_after_a_move_that_was_left_out_is_refused(tmp_path: Path) -> None:
    text = no_links_fleet(tmp_path, STEPS).replace("after: rollback", "after: slow-links")
    s = scenario(text, tmp_path)
    with pytest.raises(UsageError, match=r"invariants\[rollback-converges\].after: expected a step the state machine "
                                         r"can make \(.*\), found 'slow-links' \(slow-links: latency acts on links"):
        make_plan(s, load_fleet(s.fleet.file))


def test_a_scenario_without_a_fuzz_block_is_refused(tmp_path: Path) -> None:
    s = scenario(FILES[: FILES.index("fuzz:")], tmp_path)
    with pytest.raises(UsageError, match="expected a scenario with a fuzz block, found none"):
        make_plan(s, load_fleet(s.fleet.file))
