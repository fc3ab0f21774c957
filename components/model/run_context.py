"""The environment variables every run's container gets from the state machine, beside the job's own: which
slot it runs for, which job, which execution and which attempt. A job may not set these names itself."""

from __future__ import annotations

# The slot: EventBridge Scheduler's <aws.scheduler.scheduled-time> (ISO 8601, UTC, e.g. "2026-11-30T06:00:00Z")
# for a scheduled run; for a manual run the slot `jobctl run --scheduled-time` names, else the execution's start.
SCHEDULED_TIME = "SCHEDULED_TIME"
JOB_NAME = "JOB_NAME"  # the job's name, e.g. "nightly-report"
JOB_EXECUTION_ARN = "JOB_EXECUTION_ARN"  # the Step Functions execution running this attempt
JOB_ATTEMPT = "JOB_ATTEMPT"  # 1 for the first attempt, 2 for the first retry (start retries included)

RUN_CONTEXT_VARIABLES = (SCHEDULED_TIME, JOB_NAME, JOB_EXECUTION_ARN, JOB_ATTEMPT)
