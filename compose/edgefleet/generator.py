"""The generator: builds the feature file from the "database" at a fixed
cadence and, when publishing, pushes each new file to the control plane.

Each generation queries one shard node chosen at random. A share of the
nodes (DUPLICATE_SHARE, 0..1) is "updated" and returns every row twice, so
the file doubles on some generations and not on others: good and bad files
alternate, as they did on 18 November 2025.

API
  GET  /health        generation count, last file, switches
  GET  /feature-file  the last generated file
  POST /switch        {"duplicate_share": 0.5, "publish": true, "interval": 2}
"""

import json
import os
import random
import signal
import threading
import time
import urllib.request

import features
from httpbase import Handler, env_float, serve

CONTROL_PLANE = os.environ.get("CONTROL_PLANE_URL", "http://controlplane:8000")
SHARD_NODES = 4


class Generator:
    def __init__(self):
        self.lock = threading.Lock()
        self.share = env_float("DUPLICATE_SHARE", "0")
        self.interval = env_float("INTERVAL", "10")
        self.publish = os.environ.get("PUBLISH", "0") == "1"
        self.random = random.Random(os.environ.get("SEED", "0"))
        self.generation = 0
        self.last = features.build()
        self.last_bad = False
        self.published = None
        self.publish_error = None

    def generate(self):
        with self.lock:
            node = self.random.randrange(SHARD_NODES)
            bad = node < round(self.share * SHARD_NODES)
            self.last, self.last_bad = features.build(duplicated=bad), bad
            self.generation += 1
            raw, publish = self.last, self.publish
        if publish and features.digest(raw) != self.published:
            try:
                req = urllib.request.Request(CONTROL_PLANE + "/config", data=raw, method="POST")
                with urllib.request.urlopen(req, timeout=5) as resp:
                    resp.read()
                self.published, self.publish_error = features.digest(raw), None
            except OSError as exc:
                self.publish_error = str(exc)

    def run(self):
        while True:
            self.generate()
            time.sleep(max(0.2, self.interval))

    def health(self):
        with self.lock:
            return {"status": "ok", "generation": self.generation, "duplicate_share": self.share,
                    "publish": self.publish, "interval": self.interval,
                    "last_file": {"features": len(features.parse(self.last)),
                                  "digest": features.digest(self.last), "duplicated": self.last_bad},
                    "publish_error": self.publish_error}


GEN = Generator()


class GeneratorHandler(Handler):
    def do_GET(self):
        if self.path == "/health":
            self.send_json(200, GEN.health())
        elif self.path == "/feature-file":
            with GEN.lock:
                raw = GEN.last
            self.send_raw(200, raw, "application/json")
        else:
            self.send_json(404, {"error": "no such path: %s" % self.path})

    def do_POST(self):
        if self.path != "/switch":
            self.send_json(404, {"error": "no such path: %s" % self.path})
            return
        try:
            change = json.loads(self.body() or b"{}")
            with GEN.lock:
                if "duplicate_share" in change:
                    GEN.share = min(1.0, max(0.0, float(change["duplicate_share"])))
                if "publish" in change:
                    GEN.publish = bool(change["publish"])
                if "interval" in change:
                    GEN.interval = max(0.2, float(change["interval"]))
        except (ValueError, TypeError) as exc:
            self.send_json(400, {"error": "bad switch: %s" % exc})
            return
        self.send_json(200, GEN.health())


if __name__ == "__main__":
    serve(GeneratorHandler)
    threading.Thread(target=GEN.run, daemon=True).start()
    signal.pause()
