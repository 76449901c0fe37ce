"""`python -m chaos.fuzz PATH ...`: the `chaos fuzz` subcommand on its own (same options, same exit codes)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from chaos.errors import EXIT_INTERRUPTED, ChaosError
from chaos.fuzz.command import add_fuzz_parser


def main(argv: Sequence[str] | None = None) -> int:
    sub = argparse.ArgumentParser().add_subparsers(dest="command")
    parser = add_fuzz_parser(sub)
    parser.prog = "python -m chaos.fuzz"
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.func(args))
    except ChaosError as exc:
        print(f"chaos: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("chaos: interrupted; the fleet was torn down", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
