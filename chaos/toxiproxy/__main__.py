"""`python -m chaos.toxiproxy --listen HOST:PORT`: the server alone, standard library only."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from ._api import VERSION
from ._errors import ListenError
from ._server import DEFAULT_LISTEN, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos.toxiproxy", description="Toxiproxy-compatible fault proxy server.")
    parser.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT", help=f"API address (default {DEFAULT_LISTEN})")
    parser.add_argument("--config", metavar="FILE", help="JSON array of proxies to create at start, as a /populate body")
    parser.add_argument("--version", action="version", version=f"toxiproxy-server version {VERSION}")
    args = parser.parse_args(argv)
    # LOG_LEVEL, as the Go server reads it.
    level = logging.getLevelName(os.environ.get("LOG_LEVEL", "warning").upper())
    logging.basicConfig(
        level=level if isinstance(level, int) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        serve(args.listen, config=args.config)
    except (ListenError, ValueError, OSError) as exc:
        print(f"chaos.toxiproxy: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
