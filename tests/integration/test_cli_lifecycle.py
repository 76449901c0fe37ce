"""The command line against real Docker: images, up/status/push/rollback/down, SIGTERM, clean."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

from fleet_polling import wait_for

from conftest import EDGEFLEET, ROOT

CHAOS = [sys.executable, "-m", "chaos"]


def chaos(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CHAOS, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_images_build_is_cached_by_input_hash(edgefleet_images):
    first = chaos("images", "build", str(EDGEFLEET))
    assert first.returncode == 0, first.stderr
    assert first.stdout.split() == sorted(set(edgefleet_images.values()))
    assert "built" not in first.stderr  # unchanged tree: nothing rebuilt


def test_fleet_by_hand_up_status_push_rollback_down(edgefleet_images, leftovers):
    run = "cli" + secrets.token_hex(3)
    up = chaos("fleet", "up", str(EDGEFLEET), "--scale", "edge=2", "--env", "edge:EDGE_MODE=panic", "--run-id", run)
    try:
        assert up.returncode == 0, up.stderr
        assert f"run {run}: 6 nodes up" in up.stdout
        # A detached fleet is not leftovers: chaos clean keeps it.
        cleaned = chaos("clean")
        assert f"kept run {run}" in cleaned.stdout and leftovers(run)
        push = chaos("fleet", "push", "--features", "400", "--run", run)
        assert push.returncode == 0 and '"version": 2' in push.stdout
        looping = wait_for("edge nodes down", lambda: chaos("fleet", "status", "--run", run).stdout,
                           lambda out: out.count(" down ") >= 2, timeout=30)
        assert "edge-1" in looping
        assert '"version": 1' in chaos("fleet", "rollback", "--run", run).stdout
        wait_for("edge nodes back on version 1", lambda: chaos("fleet", "status", "--run", run).stdout,
                 lambda out: all(f"edge-{i} " in out for i in (1, 2)) and out.count(" down ") == 0, timeout=75)
    finally:
        down = chaos("fleet", "down", "--run", run)
    assert down.returncode == 0, down.stderr
    assert leftovers(run) == []


def test_sigterm_during_fleet_up_tears_everything_down(edgefleet_images, leftovers, docker_client):
    run = "term" + secrets.token_hex(3)
    proc = subprocess.Popen([*CHAOS, "fleet", "up", str(EDGEFLEET), "--scale", "edge=10", "--run-id", run],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Mid-start: some containers exist, not all are healthy yet.
        wait_for("the first containers of the run", lambda: leftovers(run, settled=False), lambda found: len(found) >= 3,
                 timeout=30, interval=0.02)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert leftovers(run) == []


def test_clean_removes_a_dead_runs_leftovers_and_keeps_a_live_one(edgefleet_images, leftovers, start_fleet):
    alive = start_fleet(edges=1)
    dead = "dead" + secrets.token_hex(3)
    # A process that starts a fleet and dies without tearing it down (SIGKILL leaves no chance).
    script = (
        "import os, signal\n"
        "from chaos.fleet.compose import load_fleet\nfrom chaos.fleet.docker_client import connect\n"
        "from chaos.fleet.fleet import Fleet\nfrom chaos.fleet.images import ensure_images\n"
        f"spec = load_fleet({str(EDGEFLEET)!r}).with_overrides(replicas={{'edge': 1}})\n"
        "c = connect()\n"
        f"f = Fleet(spec, client=c, images=ensure_images(c, spec), run_id={dead!r})\n"
        "f.up()\nos.kill(os.getpid(), signal.SIGKILL)\n"
    )
    died = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert died.returncode == -signal.SIGKILL, died.stderr
    assert leftovers(dead)
    cleaned = chaos("clean")
    assert cleaned.returncode == 0, cleaned.stderr
    assert f"removed run {dead}" in cleaned.stdout
    assert leftovers(dead) == []
    assert leftovers(alive.run_id), "clean must not touch a run whose process is alive"
    assert all(s.health.healthy for s in alive.status())


def test_a_node_that_never_becomes_healthy_is_named(edgefleet_images, leftovers):
    run = "sick" + secrets.token_hex(3)
    started = time.monotonic()
    # FEATURE_LIMIT=10 makes panic nodes crash on the very first (120-feature) file.
    up = chaos("fleet", "up", str(EDGEFLEET), "--scale", "edge=1", "--env", "edge:EDGE_MODE=panic",
               "--env", "edge:FEATURE_LIMIT=10", "--deadline", "6", "--run-id", run)
    assert up.returncode == 2
    lines = up.stderr.strip().splitlines()
    assert lines[-1].startswith("chaos: error: node edge-1 never became healthy within 6s")
    assert "panic: feature file v1 has 120 features, limit is 10" in lines[-1]
    assert "Traceback" not in up.stderr
    assert time.monotonic() - started < 60
    assert leftovers(run) == []


def test_a_malformed_host_port_range_is_a_one_line_error_before_anything_starts(edgefleet_images, leftovers):
    run = "ports" + secrets.token_hex(3)
    up = chaos("fleet", "up", str(EDGEFLEET), "--scale", "edge=1", "--run-id", run,
               env={"CHAOS_HOST_PORTS": "80-90"})
    assert up.returncode == 2
    assert up.stderr.strip().splitlines()[-1].startswith("chaos: error: CHAOS_HOST_PORTS='80-90': expected")
    assert "Traceback" not in up.stderr
    assert leftovers(run) == []
