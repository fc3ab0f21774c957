"""A lock as jobctl reads it (jobctl/runs.py), from an item written by this version of the machines or by the one
before: the expiry under the model's attribute name or under "ExpiresAt", and a lock with no expiry held."""

from __future__ import annotations

from datetime import UTC, datetime

from components.model.lock_item import LOCK_EXPIRES_AT, LOCK_HOLDER
from jobctl.runs import lock_from_item

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
HOLDER = {"S": "arn:aws:states:eu-central-1:123456789012:execution:dev-report:scheduled-1"}


def test_a_locks_expiry_is_read_under_the_models_name_or_the_earlier_one() -> None:
    soon, past = str(int(NOW.timestamp()) + 60), str(int(NOW.timestamp()) - 60)
    assert lock_from_item({LOCK_HOLDER: HOLDER, LOCK_EXPIRES_AT: {"N": soon}}).state(NOW) == "held"
    assert lock_from_item({LOCK_HOLDER: HOLDER, "ExpiresAt": {"N": past}}).state(NOW) == "expired"


def test_a_lock_without_an_expiry_is_held() -> None:
    assert lock_from_item({LOCK_HOLDER: HOLDER}).state(NOW) == "held"
