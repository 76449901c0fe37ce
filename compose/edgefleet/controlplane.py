"""The control plane: numbered config versions, the active one served to edge
nodes, pushes over HTTP, and rollback to the last known good version.

Rollback has two designs (ROLLBACK_MODE):
  direct  the last known good version becomes active at once; nodes pick it
          up on their next fetch.
  quorum  the switch waits until a majority of known edge nodes acknowledge
          it. Only a node that is up and serving can acknowledge, so when
          most nodes are crash-looping the rollback stalls: the emergency
          path depends on the nodes it is meant to rescue.

API
  GET  /health     active version, last known good, rollback state, edge reports
  GET  /config     the active feature file (X-Config-Version header); edge nodes
                   report themselves with X-Node, X-Node-Version, X-Node-State
  POST /config     push a new feature file; it becomes active at once
  POST /rollback   roll back to the last known good version
"""

import os
import signal
import threading
import time

import features
from httpbase import Handler, serve

MODE = os.environ.get("ROLLBACK_MODE", "direct")
if MODE not in ("direct", "quorum"):
    raise SystemExit("ROLLBACK_MODE must be direct or quorum, got %r" % MODE)


class State:
    def __init__(self):
        self.lock = threading.Lock()
        initial = features.build()
        self.versions = {1: initial}
        self.active = 1
        self.good = {1}  # the seed file is known good by construction
        self.reports = {}  # node -> (version, state, monotonic time)
        self.pending = None  # quorum rollback in progress: {"target", "since", "acks"}

    def last_known_good(self):
        return max(self.good)

    def push(self, raw):
        with self.lock:
            version = max(self.versions) + 1
            self.versions[version] = raw
            self.active = version
            self.pending = None
            return version

    def rollback(self):
        with self.lock:
            target = self.last_known_good()
            if MODE == "direct" or target == self.active:
                self.active, self.pending = target, None
                return 200, {"status": "rolled_back", "version": target}
            if self.pending is None or self.pending["target"] != target:
                self.pending = {"target": target, "since": time.monotonic(), "acks": set()}
            return 202, self._pending_view()

    def _pending_view(self):
        p = self.pending
        return {"status": "pending", "target": p["target"], "acks": len(p["acks"]),
                "needed": self._needed(), "waiting_s": round(time.monotonic() - p["since"], 1)}

    def _needed(self):
        return len(self.reports) // 2 + 1

    def report(self, node, version, state):
        now = time.monotonic()
        with self.lock:
            self.reports[node] = (version, state, now)
            if self.pending is not None and state == "ok":
                self.pending["acks"].add(node)
                if len(self.pending["acks"]) >= self._needed():
                    self.active, self.pending = self.pending["target"], None
            # A version is known good once a majority of edges run it cleanly.
            running_ok = sum(1 for v, s, _ in self.reports.values() if v == version and s == "ok")
            if version in self.versions and running_ok >= self._needed():
                self.good.add(version)

    def health(self):
        now = time.monotonic()
        with self.lock:
            return {
                "status": "ok",
                "rollback_mode": MODE,
                "active_version": self.active,
                "last_known_good": self.last_known_good(),
                "versions": len(self.versions),
                "pending_rollback": self._pending_view() if self.pending else None,
                "edges": {n: {"version": v, "state": s, "age_s": round(now - t, 1)}
                          for n, (v, s, t) in sorted(self.reports.items())},
            }


STATE = State()


class ControlPlane(Handler):
    def do_GET(self):
        if self.path == "/health":
            self.send_json(200, STATE.health())
        elif self.path.startswith("/config"):
            node = self.headers.get("X-Node")
            if node:
                try:
                    version = int(self.headers.get("X-Node-Version") or 0)
                except ValueError:
                    version = 0
                STATE.report(node, version, self.headers.get("X-Node-State", "unknown"))
            with STATE.lock:
                version, raw = STATE.active, STATE.versions[STATE.active]
            self.send_raw(200, raw, "application/json", {"X-Config-Version": version})
        else:
            self.send_json(404, {"error": "no such path: %s" % self.path})

    def do_POST(self):
        if self.path == "/config":
            version = STATE.push(self.body())
            self.send_json(200, {"version": version})
        elif self.path == "/rollback":
            status, payload = STATE.rollback()
            self.send_json(status, payload)
        else:
            self.send_json(404, {"error": "no such path: %s" % self.path})


if __name__ == "__main__":
    serve(ControlPlane)
    signal.pause()
