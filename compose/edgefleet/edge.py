"""An edge node: fetches the feature file from the control plane, loads it,
serves requests (forwarding to the origin) and reports on /health.

EDGE_MODE decides what an oversized or malformed file does:
  panic    the process exits with an error; the restart policy brings it
           back, and with the bad file still active that is a restart loop.
  degrade  it keeps serving, but every result is wrong (a score of 0), and
           says so in /health ("state": "degraded") and in each response
           (X-Edge-Result: wrong).
  guarded  it rejects the file, keeps the last good one and reports the
           rejection (rejections, rejected_version, last_error).

It fetches at start, every FETCH_INTERVAL seconds, and at once on SIGHUP or
POST /reload. Each fetch reports the node's version and state to the
control plane, which is how a quorum rollback counts acknowledgements.
"""

import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
import zlib

import features
from httpbase import Handler, env_float, serve

MODE = os.environ.get("EDGE_MODE", "guarded")
if MODE not in ("panic", "degrade", "guarded"):
    sys.exit("EDGE_MODE must be panic, degrade or guarded, got %r" % MODE)
LIMIT = int(env_float("FEATURE_LIMIT", "200"))
CONTROL_PLANE = os.environ.get("CONTROL_PLANE_URL", "http://controlplane:8000")
ORIGIN = os.environ.get("ORIGIN_URL", "http://origin:8000")
INTERVAL = env_float("FETCH_INTERVAL", "1")
FETCH_TIMEOUT = env_float("FETCH_TIMEOUT", "5")
NODE = os.environ.get("NODE_NAME") or socket.gethostname()


class Edge:
    def __init__(self):
        self.lock = threading.Lock()
        self.wake = threading.Event()
        # Built in at version 0, so a guarded node that starts while the active
        # file is bad still has a last known good one.
        self.features = features.parse(features.build())
        self.version = 0
        self.state = "starting"
        self.rejections = 0
        self.rejected_version = None
        self.last_error = None
        self.control_plane = "unknown"
        self.fetch_ms = None
        self.last_fetch_ok = None
        self.fetches = 0

    def fetch(self):
        req = urllib.request.Request(CONTROL_PLANE + "/config", headers={
            "X-Node": NODE, "X-Node-Version": str(self.version), "X-Node-State": self.state})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=FETCH_TIMEOUT) as resp:
                raw, version = resp.read(), int(resp.headers.get("X-Config-Version", "0"))
        except (OSError, ValueError) as exc:
            with self.lock:
                self.control_plane, self.last_error = "unreachable", "fetch failed: %s" % exc
            return False
        with self.lock:
            self.fetch_ms = round((time.monotonic() - started) * 1000, 1)
            self.control_plane, self.last_fetch_ok = "ok", time.monotonic()
            self.fetches += 1
            if version != self.version and version != self.rejected_version:
                self.load(raw, version)
        return True

    def load(self, raw, version):
        try:
            loaded = features.parse(raw)
            if len(loaded) > LIMIT:
                raise ValueError("feature file v%d has %d features, limit is %d" % (version, len(loaded), LIMIT))
        except ValueError as exc:
            if MODE == "panic":
                # What FL2 did: an unhandled error on load takes the process down.
                print("panic: %s" % exc, file=sys.stderr, flush=True)
                os._exit(1)
            if MODE == "degrade":
                self.features, self.version, self.state = [], version, "degraded"
                self.last_error = str(exc)
                return
            self.rejections += 1
            self.rejected_version, self.last_error = version, str(exc)
            if self.state == "starting":
                self.state = "ok"
            return
        self.features, self.version, self.state = loaded, version, "ok"
        self.last_error = None

    def run(self):
        delay = 0.05
        while not self.fetch():  # at start, retry quickly until the first file arrives
            time.sleep(delay)
            # A fleet starts its control plane beside its edges: a short cap keeps the
            # wait for it near its start time, at four requests a second per edge at most.
            delay = min(0.25, delay * 2)
        while True:
            self.wake.wait(INTERVAL)
            self.wake.clear()
            self.fetch()

    def score(self, path):
        """A bot score from the loaded features; 0 (a wrong, fake value) when degraded."""
        with self.lock:
            if self.state == "degraded":
                return 0
            weight = sum(f.get("weight", 0) for f in self.features if isinstance(f.get("weight"), (int, float)))
        return 1 + int(zlib.crc32(path.encode()) + weight * 100) % 99

    def health(self):
        with self.lock:
            age = None if self.last_fetch_ok is None else round(time.monotonic() - self.last_fetch_ok, 2)
            return {"node": NODE, "mode": MODE, "version": self.version, "features": len(self.features),
                    "limit": LIMIT, "state": self.state, "rejections": self.rejections,
                    "rejected_version": self.rejected_version, "last_error": self.last_error,
                    "control_plane": self.control_plane, "fetch_ms": self.fetch_ms,
                    "last_fetch_age_s": age, "fetches": self.fetches}


EDGE = Edge()


class EdgeHandler(Handler):
    def do_GET(self):
        if self.path == "/health":
            report = EDGE.health()
            self.send_json(200 if report["state"] != "starting" else 503, report)
            return
        try:
            with urllib.request.urlopen(ORIGIN + self.path, timeout=2) as resp:
                upstream = json.loads(resp.read() or b"{}")
        except (OSError, ValueError) as exc:
            self.send_json(502, {"node": NODE, "error": "origin: %s" % exc})
            return
        score = EDGE.score(self.path)
        result = "wrong" if score == 0 else "ok"
        self.send_json(200, {"node": NODE, "version": EDGE.version, "score": score,
                             "result": result, "origin": upstream.get("origin")},
                       {"X-Edge-Result": result})

    def do_POST(self):
        if self.path == "/reload":
            EDGE.wake.set()
            self.send_json(202, {"status": "reloading"})
        else:
            self.send_json(404, {"error": "no such path: %s" % self.path})


if __name__ == "__main__":
    signal.signal(signal.SIGHUP, lambda *_: EDGE.wake.set())
    serve(EdgeHandler, os.environ.get("PORT", "8080"))
    EDGE.run()
