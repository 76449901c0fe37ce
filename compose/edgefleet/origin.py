"""The origin: the upstream the edge nodes forward requests to."""

import os
import signal
import socket

from httpbase import Handler, serve


class Origin(Handler):
    def do_GET(self):
        if self.path == "/health":
            self.send_json(200, {"status": "ok", "node": socket.gethostname()})
            return
        self.send_json(200, {"origin": socket.gethostname(), "path": self.path})


if __name__ == "__main__":
    _, thread = serve(Origin, os.environ.get("PORT", "8000"))
    signal.pause()
