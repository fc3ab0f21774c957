"""What the stack's own machines on the lock table share (the lock janitor, the slot watch): one shape of
arguments, so a sibling is one builder taking these and its own keyword-only settings."""

from __future__ import annotations

from dataclasses import dataclass

from components.documents.alert_messages import AlertTarget
from components.model.arns import AwsEnv


@dataclass(frozen=True, kw_only=True)
class TableMachineArgs:
    """The account and region (`env`), the stack's lock table by name, and where its alerts go."""

    env: AwsEnv
    table: str
    alerts: AlertTarget

    @property
    def table_arn(self) -> str:
        return self.env.arn("dynamodb", f"table/{self.table}")
