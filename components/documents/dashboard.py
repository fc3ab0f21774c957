"""The stack's CloudWatch dashboard: per job, runs by outcome and run time; and every alarm's state."""

from __future__ import annotations

from typing import Any

# A dashboard holds at most 500 widgets and an alarm status widget at most 100 alarms (CloudWatch quotas).
JOBS_PER_DASHBOARD = 200
ALARMS_PER_WIDGET = 100


def dashboard_count(job_count: int) -> int:
    """How many dashboards a stack of `job_count` jobs gets: one per JOBS_PER_DASHBOARD jobs, at least one."""
    return max(1, -(-job_count // JOBS_PER_DASHBOARD))


# Step Functions logs each execution event with `type` and `execution_arn` (Step Functions dev guide, "Log
# levels for Step Functions execution events"); the job machines log at level ALL to the stack's log group.
_STATE_QUERY = (
    "fields @timestamp, type, execution_arn "
    "| filter type in ['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted'] "
    "| parse execution_arn /:execution:{prefix}-(?<job>[^:]+):/ "
    "| stats latest(type) as last_outcome, max(@timestamp) as last_run by job "
    "| sort job"
)
_SUCCESS_QUERY = (
    "fields @timestamp, type, execution_arn "
    "| filter type = 'ExecutionSucceeded' "
    "| parse execution_arn /:execution:{prefix}-(?<job>[^:]+):/ "
    "| stats max(@timestamp) as last_success by job "
    "| sort job"
)


def _state_widgets(region: str, log_group: str, prefix: str, rules: dict[str, str]) -> list[dict[str, Any]]:
    """Per job: its last outcome (ok or failing), last run and last success, from the execution logs; and the
    deadline rule each scheduled job's slots are held to (the plan shows the next deadlines)."""
    text = "\n".join(
        [
            "| job | deadline of each slot |",
            "|---|---|",
            *(f"| {job} | {rule} |" for job, rule in sorted(rules.items())),
        ]
    )
    return [
        *(
            {
                "type": "log",
                "width": 12,
                "height": 8,
                "properties": {
                    "title": title,
                    "region": region,
                    "view": "table",
                    "query": f"SOURCE '{log_group}' | " + query.replace("{prefix}", prefix),
                },
            }
            for title, query in (
                ("Jobs: last outcome (ok or failing) and last run", _STATE_QUERY),
                ("Jobs: last success", _SUCCESS_QUERY),
            )
        ),
        {
            "type": "text",
            "width": 24,
            "height": 6,
            "properties": {"markdown": "### Deadlines (docs/alerts.md)\n\n" + text},
        },
    ]


def dashboard_bodies(
    region: str,
    machines: dict[str, str],
    alarm_arns: list[str],
    log_group: str = "",
    prefix: str = "",
    rules: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One dashboard body per 200 jobs: job name -> state machine ARN; the alarm states and, with `log_group`,
    each job's state from the execution logs and its deadline rule (`rules`: job -> rule in words) come first."""
    names = sorted(machines)
    chunks = [names[i : i + JOBS_PER_DASHBOARD] for i in range(0, len(names), JOBS_PER_DASHBOARD)] or [[]]
    bodies = []
    for index, chunk in enumerate(chunks):
        widgets: list[dict[str, Any]] = []
        if index == 0 and log_group:
            widgets += _state_widgets(region, log_group, prefix, rules or {})
        if index == 0:
            for start in range(0, len(alarm_arns), ALARMS_PER_WIDGET):
                widgets.append(
                    {
                        "type": "alarm",
                        "width": 24,
                        "height": 4,
                        "properties": {
                            "title": "Job alarms",
                            "alarms": sorted(alarm_arns)[start : start + ALARMS_PER_WIDGET],
                        },
                    }
                )
        for name in chunk:
            arn = machines[name]
            widgets.append(
                {
                    "type": "metric",
                    "width": 12,
                    "height": 6,
                    "properties": {
                        "title": name,
                        "region": region,
                        "stat": "Sum",
                        "period": 3600,
                        "metrics": [
                            ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", arn, {"label": "succeeded"}],
                            ["AWS/States", "ExecutionsFailed", "StateMachineArn", arn, {"label": "failed"}],
                            ["AWS/States", "ExecutionsTimedOut", "StateMachineArn", arn, {"label": "timed out"}],
                            ["AWS/States", "ExecutionsAborted", "StateMachineArn", arn, {"label": "aborted"}],
                            [
                                "AWS/States",
                                "ExecutionTime",
                                "StateMachineArn",
                                arn,
                                {"label": "run time (ms, max)", "stat": "Maximum", "yAxis": "right"},
                            ],
                        ],
                    },
                }
            )
        bodies.append({"widgets": widgets})
    return bodies
