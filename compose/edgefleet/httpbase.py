"""A small JSON HTTP server base shared by the reference fleet's services."""

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    server_version = "edgefleet/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        # Request logs would drown the container log a person reads after a crash.
        pass

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status, payload, headers=None):
        self.send_raw(status, json.dumps(payload).encode(), "application/json", headers)

    def send_raw(self, status, raw, content_type="application/octet-stream", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.end_headers()
        self.wfile.write(raw)


def serve(handler, port=None):
    """Serve until SIGTERM; SIGTERM exits at once so `docker stop` is fast."""
    port = int(port or os.environ.get("PORT", "8000"))
    httpd = ThreadingHTTPServer(("0.0.0.0", port), handler)
    httpd.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return httpd, thread


def env_float(name, default):
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        sys.exit("bad %s: %r is not a number" % (name, os.environ.get(name)))
