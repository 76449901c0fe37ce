"""`chaos fuzz PATH --examples N --seed S`: fuzz scenarios that have a `fuzz:` block.

Exit codes: 0 every example held, 1 a failing example was found, 2 the run
could not happen (a bad file, no Docker, a fleet that would not reset).
Unlike `chaos run`, the code reports what the fuzzer found, whatever the
scenario expects; the summary line says whether that is what it expects.

Wiring, in `chaos/cli.py`'s `build_parser()`:

    from chaos.fuzz.command import add_fuzz_parser
    add_fuzz_parser(sub)
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chaos.errors import EXIT_CANNOT_RUN, EXIT_VIOLATION, UsageError


def add_fuzz_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `fuzz` subcommand to the `chaos` command's subparsers; returns it."""
    fuzz = subparsers.add_parser("fuzz", help="fuzz scenarios with a fuzz block (Hypothesis, against a live fleet)")
    fuzz.add_argument("paths", nargs="+", metavar="PATH", help="scenario files, or folders (their fuzz scenarios)")
    fuzz.add_argument("--examples", type=int, metavar="N",
                      help="examples to run (default: the scenario's, per profile)")
    fuzz.add_argument("--seed", type=int, metavar="S", help="seed of the search (default: the scenario's)")
    fuzz.add_argument("--profile", choices=("default", "ci", "nightly"),
                      help="ci: few examples, bounded shrinking; nightly: many, a fresh seed (env CHAOS_FUZZ_PROFILE)")
    fuzz.add_argument("--database", metavar="DIR",
                      help="example database root (default .hypothesis/chaos-fuzz; env CHAOS_FUZZ_DATABASE)")
    fuzz.add_argument("--journal-dir", default="chaos-runs", help="where journals, timelines and findings go")
    fuzz.add_argument("--keep-fleet", action="store_true", help="leave the fleet up after an unexpected outcome")
    # SUPPRESS: `chaos -q fuzz` sets quiet at the top level, and a default here would overwrite it.
    fuzz.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="print no progress")
    fuzz.set_defaults(func=cmd_fuzz)
    return fuzz


def _fuzz_scenarios(paths: list[str]) -> list[Any]:
    from pathlib import Path

    from chaos.scenario import load_scenario, scenario_files

    scenarios = []
    for raw in paths:
        files = scenario_files([raw])
        named = Path(raw).is_file()
        for path in files:
            scenario = load_scenario(path)
            if scenario.fuzz is not None:
                scenarios.append(scenario)
            elif named:
                mark = scenario.mark or path
                raise UsageError(f"{mark}: expected a scenario with a fuzz block, found none (run it with: chaos run)")
    if not scenarios:
        raise UsageError(f"no scenario with a fuzz block in {', '.join(paths)}")
    return scenarios


def cmd_fuzz(args: argparse.Namespace) -> int:
    from chaos.errors import ChaosError
    from chaos.fleet.docker_client import connect
    from chaos.fleet.interrupt import interruptible
    from chaos.fuzz.run import run_fuzz
    from chaos.progress import Progress

    scenarios = _fuzz_scenarios(args.paths)
    progress = Progress(quiet=getattr(args, "quiet", False))
    client = connect()
    results, errors = [], 0
    with interruptible():
        for scenario in scenarios:
            try:
                result = run_fuzz(scenario, examples=args.examples, seed=args.seed, profile=args.profile,
                                  database=args.database, out_dir=args.journal_dir, keep_fleet=args.keep_fleet,
                                  progress=progress, client=client)
            except ChaosError as exc:
                print(f"chaos: error: {exc}", file=sys.stderr)
                errors += 1
                continue
            results.append(result)
            if result.finding is not None or result.error or not result.as_expected:
                print(result.explain(), file=sys.stderr)
    for r in results:
        found = "error" if r.error else ("FOUND" if r.finding else "held")
        expected = "as expected" if r.as_expected else f"expected {r.scenario.expect}"
        print(f"{str(r.scenario.path):<40} {found:<6} {r.examples_tried:>5} examples ({r.examples_run} run)  "
              f"seed {r.seed:<10} {r.duration:>5.0f}s  {expected}")
        if r.finding is not None:
            print(f"  minimal: {r.finding.description}")
            for file in r.finding.files:
                print(f"  file: {file}")
            print(f"  replay: {r.replay_command()}")
        print(f"  journal: {r.journal}")
    if errors or any(r.error for r in results):
        return EXIT_CANNOT_RUN
    return EXIT_VIOLATION if any(r.finding is not None for r in results) else 0
