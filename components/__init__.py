"""Scheduled container jobs. Job modules import `Job` from here; Pulumi components live in
`components.shared` and `components.scheduled_job` and are not imported by job modules."""

from components.permissions import Permission
from components.spec import Job, Retries

__all__ = ["Job", "Permission", "Retries"]
