"""A warm fleet for many examples: run steps, watch a window, reset between examples.

Containers are created once per fuzz run. Between examples the fleet is
put back into its steady state instead of being recreated, cheapest way
first:

1. nothing, when the latest samples already show the steady state: every
   node healthy, every node that reports a config version on the same one
   (the control plane's active version included, so a fleet still running
   something else than what it is served is not steady), the scenario's
   `steady_state` conditions, and its plain `always`/`never` invariants
   (those without after/until/while: what must hold all through an
   example must hold before it starts);
2. heal open faults, roll back (when something was pushed), and wait up
   to `QUICK_RESET` seconds on samples and traffic that came after the
   reset began; a node whose container is still down after `REVIVE_AFTER`
   seconds is restarted (Docker's own restart backoff doubles with every
   crash of the same container and reaches a minute; a manual restart
   starts afresh);
3. push the smallest file that an example proved good (it held, and the
   fleet was steady after it): a rollback may lead nowhere, when the bad
   file became "known good" itself or a quorum rollback waits for nodes
   that cannot answer;
4. `docker restart` the nodes still at fault (when the control plane
   serves something good again), and wait up to `NODE_RESET`;
5. restart every node but the link proxy (fresh processes: the control
   plane forgets its versions and any rollback stuck waiting for a
   quorum), and wait up to `FLEET_RESET` seconds; after that the run
   cannot go on.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docker.errors import APIError, NotFound

from chaos.errors import ChaosError, EnvironmentFailure, NodeNeverHealthy
from chaos.faults.factory import Fault, make_fault
from chaos.faults.node_faults import NODE_FAULTS
from chaos.fleet.compose import PROXY_SERVICE, FleetSpec
from chaos.fleet.fleet import Fleet
from chaos.fuzz.plan import CUT_KIND, FILE_BODIES, longest_within
from chaos.fuzz.window import Feed, Window, at_rest
from chaos.invariants import LiveChecker
from chaos.invariants.verdict import Verdict
from chaos.observe.recorder import Recorder, TrafficPlan
from chaos.observe.timeline import majority_versions
from chaos.progress import SILENT, Progress
from chaos.runner.actions import action_body
from chaos.scenario import Condition, Invariant, Scenario, Step, select_targets

QUICK_RESET = 8.0
REVIVE_AFTER = 1.0  # seconds Docker gets to restart a crashed node itself before the reset does
# Seconds a fleet that is up may break an invariant at rest before the reset tries harder: longer than the
# traffic that counts as "now" at rest (window.AT_REST), so traffic from before the fleet mended has aged out.
STUCK = 1.5
EVIDENCE_GRACE = 0.6  # seconds a violation resting on silence alone is watched for firmer evidence
HEAL_WAIT = 5.0  # a heal step waits this long for its nodes; the watch after it sees the rest
NODE_RESET = 20.0
FLEET_RESET = 60.0
ACTION_TIMEOUT = 3.0
TICK = 0.05
ROLLBACK_ACTION = "rollback"
PENDING = 202  # an action accepted but not done: a rollback waiting for its quorum
# Faults that are over once applied (the node comes back by itself): nothing stays open to heal.
MOMENTARY = ("restart",)


@dataclass
class OpenFault:
    """A fault applied during an example, with the step that applied it and what it keeps busy."""

    step: Step
    fault: Fault
    busy: set[tuple[str, str]]


def busy_keys(kind: str, nodes: Sequence[str], *, mode: str | None = None,
              services: dict[str, list[str]] | None = None, link: str | None = None) -> set[tuple[str, str]]:
    """What a fault occupies: a node's container, or one kind of toxic on a node's links.

    Docker refuses a second pause of a paused container, and a second toxic
    of the same kind on a proxy would clash by name, so a move whose nodes
    are all taken by a fault of the same family does nothing.
    """
    if kind in NODE_FAULTS:
        return {("node", n) for n in nodes}
    if kind == CUT_KIND and mode in ("pause", "partition"):
        return {("node", n) for n in (services or {}).get(link or "", [])}
    what = f"{kind}/{mode}" if kind == CUT_KIND else kind
    return {("link", f"{n}/{link or '*'}/{what}") for n in nodes}


@dataclass
class Resets:
    """How often the fleet had to be put back, by how much force (soft, good file, nodes, fleet)."""

    by_kind: dict[str, int] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)

    def count(self, kind: str, seconds: float) -> None:
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        self.seconds.append(seconds)


class LiveSession:
    """One fleet, already up, and its recorder: examples run one after another against it."""

    def __init__(self, scenario: Scenario, spec: FleetSpec, fleet: Fleet, *, timeline_path: Path | None,
                 invariants: Sequence[Invariant] | None = None, progress: Progress = SILENT) -> None:
        self.scenario = scenario
        self.spec = spec
        self.fleet = fleet
        self.progress = progress
        self.nodes = {service: [n.name for n in fleet.service_nodes(service)] for service in spec.services}
        self.targets = select_targets(scenario, self.nodes)
        self.feed = Feed(timeline_path, nodes=self.nodes, targets=self.targets)
        traffic = scenario.observe.traffic
        self.recorder = Recorder(fleet, self.feed, interval=scenario.observe.interval,  # type: ignore[arg-type]
                                 traffic=TrafficPlan(traffic.service, traffic.rate) if traffic else None)
        self.faults: list[OpenFault] = []
        self.pushed = False  # something was pushed since the fleet was last steady
        self.dirty = False  # the last example may have left the fleet out of its steady state
        self.baseline: dict[str, int] = {}
        self.resets = Resets()
        self.applied: list[str] = []  # the nodes the last fault step hit
        self.last_push: tuple[str, bytes] | None = None  # the last file pushed, with its action
        self.last_push_at = 0.0
        self.good: tuple[str, bytes] | None = None  # the last file the fleet was proven steady on
        # What must hold all through an example must hold before it starts: part of the steady state.
        self.rest_invariants = [Invariant(f"steady state: {c.describe()}", "always", c) for c in scenario.steady_state]
        checked = scenario.invariants if invariants is None else invariants
        self.rest_invariants += [i for i in checked if i.operator in ("always", "never") and
                                 i.after is None and i.until is None and i.while_ is None and i.within is None]

    # -- life cycle ----------------------------------------------------------

    def start(self) -> None:
        self.feed.event("run_started", nodes=self.nodes, targets=self.targets, seed=self.scenario.seed,
                        run_id=self.fleet.run_id, scenario=str(self.scenario.path), fuzz=self.scenario.fuzz.strategy
                        if self.scenario.fuzz else None)
        self.recorder.start()
        why = self._settled(0.0, FLEET_RESET)
        if why:
            raise EnvironmentFailure(f"fleet {self.fleet.run_id}: the steady state did not hold before fuzzing "
                                     f"(waited {FLEET_RESET:.0f}s); last seen: {'; '.join(why[:3])}")
        self._note_baseline()
        self.feed.event("steady_state", phase="before", baseline=self.baseline)

    def stop(self) -> None:
        self.recorder.stop()
        self.feed.event("run_finished")
        self.feed.close()

    # -- the steady state ----------------------------------------------------

    def unsteady(self, *, since: float = 0.0) -> list[str]:
        """Why the fleet is not in its steady state now (empty when it is), from the latest samples."""
        return self._unsteady(since)[0]

    def _unsteady(self, since: float) -> tuple[list[str], list[str], bool]:
        """(why the fleet is not steady, the nodes at fault, whether every node is up and on one version), from the
        latest samples and the traffic since `since`."""
        latest = self.feed.latest()
        why: list[str] = []
        blamed: list[str] = []
        versions: dict[int, list[str]] = {}
        for names in self.nodes.values():
            for name in names:
                sample = latest.get(name)
                if sample is None or not sample["healthy"]:
                    why.append(f"{name} not healthy")
                    blamed.append(name)
                elif sample.get("version") is not None:
                    versions.setdefault(sample["version"], []).append(name)
        if len(versions) > 1:
            why.append("config versions differ: " + "; ".join(f"{', '.join(n[:3])} on {v}"
                                                             for v, n in sorted(versions.items())))
            majority = max(versions.values(), key=len)
            blamed += [n for names in versions.values() if names is not majority for n in names]
        up = not why
        if not why:
            why, blamed = at_rest(self.rest_invariants, self.feed.snapshot(since=since))
        return why, blamed, up

    def _settled(self, since: float, deadline: float, *, revive_after: float | None = None) -> list[str]:
        """Wait until the fleet is steady on samples taken after `since`; returns what was last wrong.

        Nodes that are down may take seconds to come back, so that is waited
        for; with `revive_after`, a node whose container is still down after
        that many seconds is restarted (Docker restarts a crashed node itself,
        but waits longer after every crash). A fleet that is up, on one
        version, and still breaks an invariant at rest is not going to mend
        itself, so that is given up on after `STUCK` seconds.
        """
        why = ["no sample yet"]
        started = time.monotonic()
        end = started + deadline
        stuck_since: float | None = None
        revived = revive_after is None
        while time.monotonic() < end:
            if not revived and time.monotonic() - started >= revive_after:  # type: ignore[operator]
                revived = True
                self._restart(self._down())
            if self.feed.fresh_since(since):
                why, _, up = self._unsteady(since)
                if not why:
                    return []
                if up and stuck_since is None:
                    stuck_since = time.monotonic()
                elif not up:
                    stuck_since = None
                if stuck_since is not None and time.monotonic() - stuck_since > STUCK:
                    return why
            time.sleep(TICK)
        return why

    def _note_baseline(self) -> None:
        self.baseline = majority_versions(self.feed.latest().values())
        if self.pushed and self.last_push is not None and not self.dirty and \
                (self.good is None or len(self.last_push[1]) <= len(self.good[1])):
            # The fleet took this file and is steady on it: a file to reset with when a rollback cannot. The
            # smallest such file, since the control plane keeps every version it is sent.
            self.good = self.last_push
        self.pushed = False

    def ensure_steady(self, *, deadline: float = QUICK_RESET) -> None:
        """Put the fleet back into its steady state, the cheapest way that works; EnvironmentFailure if none does."""
        if not self.dirty and not self.faults and not self.unsteady():
            self._note_baseline()
            return
        started = time.monotonic()
        since = self.feed.now()
        self.heal_all()
        moved = True
        if self.pushed and ROLLBACK_ACTION in self.spec.actions:
            moved = self._rollback()
        kind = "soft"
        why = ["the rollback left the control plane where it was"]
        if moved:
            why = self._settled(since, deadline, revive_after=REVIVE_AFTER)
        if why and self.good is not None:
            kind = "good file"
            since = self.feed.now()
            self._action(self.good[0], self.good[1])
            moved = True
            why = self._settled(since, deadline, revive_after=REVIVE_AFTER)
        # Restarting nodes helps only when what they will fetch is good again.
        if why and moved:
            kind = "nodes"
            since = self.feed.now()
            self._restart(sorted(set(self._down()) | set(self._unsteady(since)[1])))
            why = self._settled(since, NODE_RESET)
        if why:
            kind = "fleet"
            self.progress.say(f"  reset: restarting every node ({'; '.join(why[:3])})")
            since = self.feed.now()
            # Not the link proxy: its proxies were configured once, at fleet up, and a restart would forget them.
            self._restart([n.name for n in self.fleet.nodes.values() if n.service != PROXY_SERVICE])
            why = self._settled(since, FLEET_RESET)
        if why:
            raise EnvironmentFailure(f"fleet {self.fleet.run_id}: could not bring the fleet back to its steady state "
                                     f"between examples (restarted every node, waited {FLEET_RESET:.0f}s); "
                                     f"last seen: {'; '.join(why[:3])}")
        self.resets.count(kind, time.monotonic() - started)
        self.feed.event("fleet_reset", how=kind, seconds=round(time.monotonic() - started, 2))
        self.dirty = False
        self.pushed = False  # what was pushed before the reset proved nothing
        self._note_baseline()

    def _rollback(self) -> bool:
        """Roll back; whether the control plane moved to another version (a rollback to the file that broke the
        fleet, when that file became "known good", or one waiting for a quorum, does not)."""
        service = self.spec.actions[ROLLBACK_ACTION].service
        names = self.nodes.get(service, [])

        def versions() -> list[object]:
            latest = self.feed.latest()
            return [(latest.get(n) or {}).get("version") for n in names]

        # Compare with what the control plane serves since the last push, not with a sample from before it.
        pushed_at = self.last_push_at
        end = time.monotonic() + 1.0
        while time.monotonic() < end and not all((self.feed.latest().get(n) or {}).get("t", 0.0) > pushed_at
                                                 for n in names):
            time.sleep(TICK)
        before = versions()
        asked = self.feed.now()
        status = self._action(ROLLBACK_ACTION, None)
        if status == PENDING or status is None:
            return False
        if not names or any(v is None for v in before):
            return True  # the control plane reports no version: nothing to compare, trust the answer
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            latest = self.feed.latest()
            if all((latest.get(n) or {}).get("t", 0.0) > asked for n in names):
                return versions() != before
            time.sleep(TICK)
        return True

    def note_if_steady(self, *, held: bool) -> None:
        """After a state machine's move: if it `held` and the fleet is steady now, take its versions as the baseline."""
        if held and not self.faults and not self.unsteady():
            self.dirty = False
            self._note_baseline()

    def _down(self) -> list[str]:
        """Nodes whose container is not running (crashed, in Docker's restart backoff, or stopped)."""
        down = []
        for name in self.fleet.nodes:
            state, _ = self.recorder.containers.read(name)
            if state not in ("running", "paused"):
                down.append(name)
        return down

    def _restart(self, names: Sequence[str]) -> None:
        api = self.fleet.client.api

        def restart(name: str) -> None:
            node = self.fleet.nodes[name]
            try:
                api.restart(node.container, timeout=0)
            except (APIError, NotFound) as exc:
                raise EnvironmentFailure(f"restarting {name} between examples: Docker said: {exc.explanation}") \
                    from None
            self.fleet.refresh_ports(node)

        if names:
            with ThreadPoolExecutor(max_workers=8, thread_name_prefix="reset") as pool:
                list(pool.map(restart, names))

    # -- steps ---------------------------------------------------------------

    def _action(self, name: str, body: bytes | None, *, step: str | None = None) -> int | None:
        try:
            status, payload = self.fleet.action(name, body=body, timeout=ACTION_TIMEOUT)
        except EnvironmentFailure as exc:
            # A control plane that does not answer is part of what is being tested, not the end of the run.
            self.feed.event("action", step=step, action=name, status=None, response=str(exc)[:300])
            return None
        self.feed.event("action", step=step, action=name, status=status,
                        response=payload if not isinstance(payload, str) else payload[:300])
        if self.spec.actions[name].body in FILE_BODIES:
            self.pushed = True
            self.last_push = (name, body or b"")
            self.last_push_at = self.feed.now()
        return status

    def open_window(self, invariants: Sequence[Invariant]) -> Window:
        return self.feed.open_window(invariants, baseline=self.baseline)

    def run_step(self, step: Step, *, body: bytes | None = None, nodes: Sequence[str] | None = None,
                 link: str | None = None, params: dict[str, Any] | None = None, window: Window | None = None) -> None:
        """Do one step: an action (with `body` instead of its declared one), a fault (on `nodes`, with `link`
        and `params` instead of its own), or a wait."""
        for open_fault in [f for f in self.faults if f.step.heal == step.id]:
            self.heal(open_fault, deadline=HEAL_WAIT)
        self.feed.event("step_started", step=step.id)
        if step.action is not None:
            if body is None:
                body = action_body(self.spec.actions[step.action], dict(step.with_),
                                   base=self.scenario.path.parent, where=f"{step.mark}: steps.{step.id}.with")
            self._action(step.action, body, step=step.id)
        elif step.fault is not None:
            self._apply(step, nodes, link=link, params=params)
        elif step.wait is not None and step.wait.until is not None:
            self._await(step.wait.until, step.wait.timeout or 0.0, step, window)
        elif step.wait is not None:
            time.sleep(step.wait.for_ or 0.0)
        self.feed.event("step_finished", step=step.id)

    def fault_nodes(self, step: Step) -> list[str]:
        """The nodes a fault step aims at: its target's, or its service's."""
        assert step.fault is not None
        target = step.fault.target
        return list(self.targets.get(target) or self.nodes.get(target) or [])

    def _apply(self, step: Step, nodes: Sequence[str] | None, *, link: str | None,
               params: dict[str, Any] | None) -> None:
        fault = step.fault
        assert fault is not None
        params = dict(fault.params if params is None else params)
        link = link or fault.link
        taken = {key for f in self.faults for key in f.busy}
        wanted = list(nodes) if nodes is not None else self.fault_nodes(step)
        mode = params.get("mode", "blackhole")
        chosen = [n for n in wanted
                  if not busy_keys(fault.kind, [n], mode=mode, services=self.nodes, link=link) & taken]
        busy = busy_keys(fault.kind, chosen, mode=mode, services=self.nodes, link=link)
        self.applied = chosen
        if not chosen or busy & taken:
            self.feed.event("fault_skipped", step=step.id, fault=fault.kind, why="its nodes are already under a fault")
            self.applied = []
            return
        applied = make_fault(fault.kind, nodes=chosen, link=link, params=params)
        applied.apply(self.fleet)
        self.feed.event("fault_applied", step=step.id, fault=fault.kind, nodes=chosen, link=link, params=params)
        self.dirty = True
        if fault.kind not in MOMENTARY:
            self.faults.append(OpenFault(step, applied, busy))

    def _await(self, condition: Condition, timeout: float, step: Step, window: Window | None) -> None:
        """Wait until `condition` holds in the example's window, at most `timeout` seconds."""
        if window is None:
            time.sleep(timeout)
            return
        marker = f"@wait-{step.id}"
        checker = LiveChecker([Invariant(marker, "eventually", condition, within=timeout, after=marker)],
                              window.timeline)
        self.feed.event("step_started", step=marker)
        end = time.monotonic() + timeout
        while time.monotonic() < end and not checker.update():
            time.sleep(TICK)
        self.feed.event("step_finished", step=marker)

    def heal(self, open_fault: OpenFault, *, deadline: float = NODE_RESET) -> None:
        """Undo a fault, then wait up to `deadline` for its nodes to be healthy (a reset waits elsewhere)."""
        if open_fault in self.faults:
            self.faults.remove(open_fault)
        fault = open_fault.fault
        try:
            fault.heal(self.fleet, deadline=deadline)
        except NodeNeverHealthy:
            # Undone, but not healthy yet (a crash-looping node): the watch or the reset that follows sees to it.
            self.dirty = True
        except ChaosError as exc:
            self.progress.warn(f"healing {fault.kind} of step {open_fault.step.id}: {exc}")
            self.dirty = True
        self.feed.event("fault_healed", step=open_fault.step.id, fault=fault.kind, nodes=fault.nodes)

    def heal_all(self, *, deadline: float = 0.5) -> None:
        for open_fault in reversed(list(self.faults)):
            self.heal(open_fault, deadline=deadline)

    # -- watching ------------------------------------------------------------

    def watch(self, window: Window, *, settle: float, stop_early: bool = True) -> list[Verdict]:
        """Watch the fleet for `settle` seconds (longer while an `eventually` waits for its deadline), then decide.

        With `stop_early`, the first violated invariant ends the watch (after
        at most `EVIDENCE_GRACE` more seconds when it rests on silence
        alone): the example has failed, and every second spent on it is a
        second the next example waits.
        """
        started = time.monotonic()
        waiting = [i.name for i in window.invariants if i.operator == "eventually"]
        longest = settle + longest_within(window.invariants)
        violated_at: float | None = None
        while True:
            time.sleep(TICK)
            window.update()
            elapsed = time.monotonic() - started
            if stop_early and window.violated:
                # A violation seen only as silence (no answer in time) waits a moment for firmer evidence
                # (a stopped container, a restart, an error answer) before the watch ends.
                violated_at = elapsed if violated_at is None else violated_at
                if elapsed - violated_at >= EVIDENCE_GRACE or not window.only_silence(window.violated):
                    break
            # always/never stay open until the window closes; an eventually may still be waiting for its deadline.
            if elapsed >= settle and not set(waiting) & set(window.pending):
                break
            if elapsed >= longest + 0.5:
                break
        self.feed.close_window(window)
        verdicts = window.finish(self.feed.now())
        self.feed.flush()
        if any(not v.held for v in verdicts):
            self.dirty = True
        return verdicts
