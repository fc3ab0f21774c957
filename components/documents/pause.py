"""A paused job (`jobctl pause`): every run, scheduled or manual, ends as a visible skip saying who paused it,
when and why, unless it was started with `{"force": true}` (`jobctl run --force`); `PausedUntil` ends the pause
by itself. The pause lives on the job's item (components/model/lock_item.py), and the state that takes the lock
(or, for concurrency="allow", starts the run) checks it in the same conditional write, so a run that is not
paused costs no extra state."""

from __future__ import annotations

from components.model.lock_item import PAUSE_NOTE, PAUSED_AT, PAUSED_BY, PAUSED_UNTIL

# Not paused, or the pause has run out (a missing PausedUntil compares false: paused until resumed).
NOT_PAUSED = f"(attribute_not_exists({PAUSED_AT}) OR {PAUSED_UNTIL} < :now)"
FORCED = "$states.context.Execution.Input.force = true"


def unless_paused(condition: str) -> str:
    """A ConditionExpression (JSONata-chosen): `condition`, and not paused unless the run was forced. The
    not-forced form uses the expression value `:now` (epoch seconds); DynamoDB refuses a value no expression
    uses, so a caller whose own `condition` has no `:now` leaves it out of a forced run's values."""
    return f"{{% {FORCED} ? '{condition}' : '({condition}) AND {NOT_PAUSED}' %}}"


def paused(item: str) -> str:
    """JSONata: the item (a path to its attributes) holds a pause that has not run out, and the run is not forced."""
    until = f"{item}.{PAUSED_UNTIL}"
    return (
        f"($exists({item}.{PAUSED_AT}) and ($not($exists({until})) or $number({until}.N) >= $floor($millis() / 1000)) "
        f"and $not({FORCED}))"
    )


def pause_reason(item: str) -> str:
    """JSONata: "paused by <who> at <when>: <note>" (and "until <when>")."""
    until = f"{item}.{PAUSED_UNTIL}"
    return (
        f"'paused by ' & {item}.{PAUSED_BY}.S & ' at ' & {item}.{PAUSED_AT}.S & ': ' & {item}.{PAUSE_NOTE}.S "
        f"& ($exists({until}) ? ' (until ' & $fromMillis($number({until}.N) * 1000) & ')' : '')"
    )
