"""The `chaos` command.

Exit codes: 0 all held, 1 an invariant was violated, 2 the run could not
happen (bad file, no Docker, a node that never became healthy), 130
interrupted. Errors are one line, never a traceback for a user's mistake.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from chaos.errors import EXIT_CANNOT_RUN, EXIT_INTERRUPTED, ChaosError, UsageError
from chaos.fuzz.command import add_fuzz_parser
from chaos.report.command import add_report_parser, add_run_options, after_run


def _pairs(values: list[str], *, what: str, sep: str) -> list[tuple[str, str]]:
    out = []
    for value in values or []:
        left, found, right = value.partition(sep)
        if not found or not left:
            raise UsageError(f"{what}: expected {what.split()[0]} like {'edge=10' if sep == '=' else 'edge:EDGE_MODE=panic'}, found {value!r}")
        out.append((left, right))
    return out


def _scale(values: list[str]) -> dict[str, int]:
    scale = {}
    for service, count in _pairs(values, what="--scale SERVICE=N", sep="="):
        if not count.isdigit():
            raise UsageError(f"--scale {service}={count}: expected a whole number of replicas")
        scale[service] = int(count)
    return scale


def _env(values: list[str]) -> dict[str, dict[str, str]]:
    env: dict[str, dict[str, str]] = {}
    for service, assignment in _pairs(values, what="--env SERVICE:NAME=VALUE", sep=":"):
        name, found, value = assignment.partition("=")
        if not found or not name:
            raise UsageError(f"--env {service}:{assignment}: expected SERVICE:NAME=VALUE")
        env.setdefault(service, {})[name] = value
    return env


def _progress(args: argparse.Namespace):
    from chaos.progress import Progress

    return Progress(quiet=getattr(args, "quiet", False))


def cmd_images_build(args: argparse.Namespace) -> int:
    from chaos.fleet.compose import load_fleet
    from chaos.fleet.docker_client import connect
    from chaos.fleet.images import ensure_images

    client, progress = connect(), _progress(args)
    for path in args.fleet:
        refs = ensure_images(client, load_fleet(path), base=args.base, progress=progress)
        for ref in sorted(set(refs.values())):
            print(ref)
    return 0


def cmd_fleet_up(args: argparse.Namespace) -> int:
    from chaos.fleet.compose import load_fleet
    from chaos.fleet.docker_client import connect
    from chaos.fleet.fleet import Fleet
    from chaos.fleet.images import ensure_images
    from chaos.fleet.interrupt import interruptible

    spec = load_fleet(args.fleet).with_overrides(replicas=_scale(args.scale), environment=_env(args.env))
    client, progress = connect(), _progress(args)
    with interruptible():
        images = ensure_images(client, spec, base=args.base, progress=progress)
        fleet = Fleet(spec, client=client, images=images, run_id=args.run_id, progress=progress)
        fleet.up(deadline=args.deadline)
        fleet.detach()
    print(f"run {fleet.run_id}: {len(fleet.nodes)} nodes up on network {fleet.network}")
    _print_status(fleet)
    print(f"inspect: chaos fleet status --run {fleet.run_id}    remove: chaos fleet down --run {fleet.run_id}")
    return 0


def _field(body: dict | None, path: str) -> object:
    value: object = body
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _print_status(fleet) -> None:
    fields = fleet.spec.status_fields
    rows = [["node", "container", "restarts", "health", *fields]]
    for s in fleet.status():
        version_field = fleet.spec.health[s.service].version if s.service in fleet.spec.health else None
        values = [_field(s.health.body, f if f != "version" or not version_field else version_field) for f in fields]
        health = "ok" if s.health.healthy else ("HTTP %s" % s.health.status if s.health.status else "down")
        rows.append([s.node, s.state, str(s.restarts), health, *["-" if v is None else str(v) for v in values]])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _attach(args: argparse.Namespace):
    from chaos.fleet.docker_client import connect
    from chaos.fleet.fleet import Fleet

    return Fleet.attach(connect(), args.run, progress=_progress(args))


def cmd_fleet_status(args: argparse.Namespace) -> int:
    fleet = _attach(args)
    print(f"run {fleet.run_id} ({fleet.spec.path})")
    _print_status(fleet)
    return 0


def _show(action: str, status: int, payload: object) -> int:
    print(f"{action}: HTTP {status} {json.dumps(payload) if not isinstance(payload, str) else payload}")
    if status >= 400:
        raise ChaosError(f"{action} was refused: HTTP {status}")
    return 0


def cmd_fleet_push(args: argparse.Namespace) -> int:
    from chaos.faults.feature_file import feature_file

    if args.file:
        try:
            body = Path(args.file).read_bytes()
        except OSError as exc:
            raise UsageError(f"--file {args.file}: cannot be read: {exc.strerror}") from None
    else:
        body = feature_file(args.features)
    status, payload = _attach(args).action(args.action, body=body)
    return _show(args.action, status, payload)


def cmd_fleet_rollback(args: argparse.Namespace) -> int:
    status, payload = _attach(args).action(args.action)
    return _show(args.action, status, payload)


def cmd_fleet_down(args: argparse.Namespace) -> int:
    from chaos.fleet.cleanup import runs
    from chaos.fleet.docker_client import connect
    from chaos.fleet.fleet import remove_run

    client = connect()
    if args.all:
        targets = [r.run_id for r in runs(client)]
    elif args.run:
        # By label alone: a fleet whose network is already gone must still come down.
        targets = [r.run_id for r in runs(client) if r.run_id == args.run]
        if not targets:
            raise UsageError(f"nothing is labelled with run id {args.run} (chaos fleet status lists the fleets)")
    else:
        targets = [_attach(args).run_id]
    for run_id in targets:
        count = remove_run(client, run_id)
        print(f"run {run_id}: removed {count} containers and its network")
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from chaos.fleet.cleanup import clean, runs
    from chaos.fleet.docker_client import connect

    client = connect()
    stale: list[str] = []
    removed = clean(client, include_detached=args.all, warn=stale.append)
    for run in removed:
        print(f"removed run {run.run_id}: {run.containers} containers ({'detached' if run.detached else 'owner gone'})")
    for warning in stale:
        print(f"warning: {warning}", file=sys.stderr)
    # A removed run still listed holds only a network the daemon would not let go of (warned above).
    gone = {r.run_id for r in removed}
    kept = [r for r in runs(client) if r.containers or r.run_id not in gone]
    for run in kept:
        why = "its process is alive" if run.alive else "detached fleet (chaos clean --all or chaos fleet down removes it)"
        print(f"kept run {run.run_id}: {why}")
    if not removed and not kept:
        print("nothing to clean")
    return 0


def _load_all(paths: list[str]):
    from chaos.runner.run import prepare
    from chaos.scenario import load_scenario, scenario_files

    files = scenario_files(paths)
    if not files:
        raise UsageError(f"no scenario files (*.yaml) in {', '.join(paths)}")
    scenarios = [load_scenario(path) for path in files]
    for scenario in scenarios:
        if scenario.fuzz is not None:
            from chaos.fuzz.run import prepare_fuzz

            prepare_fuzz(scenario)
        else:
            prepare(scenario)
    return scenarios


def cmd_validate(args: argparse.Namespace) -> int:
    for scenario in _load_all(args.paths):
        print(f"{scenario.path}: ok ({len(scenario.steps)} steps, {len(scenario.invariants)} invariants)")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    for scenario in _load_all(args.paths):
        print(f"{scenario.path}  expect {scenario.expect:<9}  {scenario.title}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from chaos.errors import EXIT_VIOLATION
    from chaos.fleet.docker_client import connect
    from chaos.fleet.interrupt import interruptible
    from chaos.runner import run_scenario

    scenarios = _load_all(args.paths)
    client, progress = connect(), _progress(args)
    results, errors, unrun = [], 0, []
    with interruptible():
        for scenario in scenarios:
            try:
                if scenario.fuzz is not None:
                    from chaos.fuzz.run import run_fuzz

                    result = run_fuzz(scenario, seed=args.seed, keep_fleet=args.keep_fleet,
                                      out_dir=args.journal_dir, progress=progress, client=client)
                else:
                    result = run_scenario(scenario, seed=args.seed, keep_fleet=args.keep_fleet,
                                          out_dir=args.journal_dir, progress=progress, client=client)
            except ChaosError as exc:
                print(f"chaos: error: {exc}", file=sys.stderr)
                errors += 1
                unrun.append((scenario.path, str(exc)))
                continue
            results.append(result)
            if not result.as_expected:
                print(result.explain(), file=sys.stderr)
    print(f"{'scenario':<40} {'expect':<10} {'outcome':<11} {'verdict':<8} time")
    for r in results:
        verdict = "PASS" if r.as_expected else "FAIL"
        print(f"{str(r.scenario.path):<40} {r.scenario.expect:<10} {r.outcome:<11} {verdict:<8} {r.duration:.0f}s")
    for r in results:
        print(f"journal: {r.journal}")
    after_run(args, results, errors=unrun)
    if errors or any(r.outcome == "error" for r in results):
        return EXIT_CANNOT_RUN
    return 0 if all(r.as_expected for r in results) else EXIT_VIOLATION


def cmd_toxiproxy_serve(args: argparse.Namespace) -> int:
    from chaos.toxiproxy import serve

    serve(args.listen)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chaos", description="Chaos-engineering test harness for containerized mini-fleets.")
    parser.add_argument("-q", "--quiet", action="store_true", help="print no progress")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    images = sub.add_parser("images", help="build the fleets' images").add_subparsers(dest="sub", required=True)
    build = images.add_parser("build", help="build the images of fleet files (cached by a hash of their inputs)")
    build.add_argument("fleet", nargs="*", default=["compose/edgefleet"], help="fleet files or folders")
    build.add_argument("--base", help="base image (default: python:3.11-slim, else bootstrapped from Debian); env CHAOS_BASE_IMAGE")
    build.set_defaults(func=cmd_images_build)

    fleet = sub.add_parser("fleet", help="drive a fleet by hand").add_subparsers(dest="sub", required=True)
    up = fleet.add_parser("up", help="bring a fleet up and leave it running")
    up.add_argument("fleet", help="fleet file or folder (e.g. compose/edgefleet)")
    up.add_argument("--scale", action="append", metavar="SERVICE=N", help="replicas of a service")
    up.add_argument("--env", action="append", metavar="SERVICE:NAME=VALUE", help="environment override")
    up.add_argument("--base", help="base image for builds")
    up.add_argument("--deadline", type=float, default=60.0, help="seconds to wait for health (default 60)")
    up.add_argument("--run-id", help="choose the run id (default: a random one)")
    up.set_defaults(func=cmd_fleet_up)
    for name, func, text in (("status", cmd_fleet_status, "a table of the fleet's nodes"),
                             ("push", cmd_fleet_push, "push a feature file (N features, or a file)"),
                             ("rollback", cmd_fleet_rollback, "ask the control plane to roll back"),
                             ("down", cmd_fleet_down, "remove a fleet")):
        cmd = fleet.add_parser(name, help=text)
        cmd.add_argument("--run", help="run id (default: the only fleet that is up)")
        cmd.set_defaults(func=func)
        if name == "push":
            what = cmd.add_mutually_exclusive_group(required=True)
            what.add_argument("--features", type=int, metavar="N", help="a generated file of N features")
            what.add_argument("--file", help="a file to push as it is")
            cmd.add_argument("--action", default="push", help="the fleet file's action to use (default push)")
        if name == "rollback":
            cmd.add_argument("--action", default="rollback", help="the fleet file's action to use (default rollback)")
        if name == "down":
            cmd.add_argument("--all", action="store_true", help="every fleet on this daemon")

    run = sub.add_parser("run", help="run scenario files (or folders of them)")
    run.add_argument("paths", nargs="+", metavar="PATH")
    run.add_argument("--seed", type=int, help="override every scenario's seed (to replay a run)")
    run.add_argument("--keep-fleet", action="store_true", help="leave the fleet up after an unexpected outcome")
    run.add_argument("--journal-dir", default="chaos-runs", help="where journals and timelines go (default chaos-runs)")
    add_run_options(run)
    run.set_defaults(func=cmd_run)
    for name, func, text in (("validate", cmd_validate, "check scenario files without running them"),
                             ("list", cmd_list, "list scenario files and what they expect")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("paths", nargs="+", metavar="PATH")
        cmd.set_defaults(func=func)
    add_report_parser(sub)
    add_fuzz_parser(sub)

    clean = sub.add_parser("clean", help="remove what runs that died left behind")
    clean.add_argument("--all", action="store_true", help="also remove detached fleets (never a live run's)")
    clean.set_defaults(func=cmd_clean)

    toxi = sub.add_parser("toxiproxy", help="the embedded Toxiproxy-compatible server").add_subparsers(dest="sub", required=True)
    serve = toxi.add_parser("serve", help="serve the Toxiproxy HTTP API")
    serve.add_argument("--listen", default="127.0.0.1:8474", help="HOST:PORT (default 127.0.0.1:8474)")
    serve.set_defaults(func=cmd_toxiproxy_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ChaosError as exc:
        print(f"chaos: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (`chaos fleet status | head`): not an error of ours.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt as exc:
        print(f"chaos: interrupted ({exc or 'Ctrl-C'}); the fleet was torn down", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
