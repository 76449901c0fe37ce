"""Invariants: temporal properties checked over a timeline.

    evaluate(invariant, timeline) -> Verdict            at the end of a run
    evaluate_all(invariants, timeline) -> [Verdict]     one pass for many
    LiveChecker(invariants, timeline).update()          while the run goes on

Layering: `state` keeps the fleet's state from the records, `gauges` turn it
into the value of one condition's quantity, `checks` apply always / never /
eventually over the instants, `engine` drives them; `verdict` is the result.
The semantics are written out in `checks.py` and `gauges.py`.
"""

from chaos.invariants.engine import LiveChecker, evaluate, evaluate_all
from chaos.invariants.state import LOOP_WINDOW
from chaos.invariants.verdict import Verdict

__all__ = ["LOOP_WINDOW", "LiveChecker", "Verdict", "evaluate", "evaluate_all"]
