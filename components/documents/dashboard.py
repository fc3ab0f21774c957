"""The stack's CloudWatch dashboard: per job, runs by outcome and run time; and every alarm's state."""

from __future__ import annotations

from typing import Any

# A dashboard holds at most 500 widgets and an alarm status widget at most 100 alarms (CloudWatch quotas).
JOBS_PER_DASHBOARD = 200
ALARMS_PER_WIDGET = 100


def dashboard_bodies(region: str, machines: dict[str, str], alarm_arns: list[str]) -> list[dict[str, Any]]:
    """One dashboard body per 200 jobs: job name -> state machine ARN; the alarm states come first."""
    names = sorted(machines)
    chunks = [names[i : i + JOBS_PER_DASHBOARD] for i in range(0, len(names), JOBS_PER_DASHBOARD)] or [[]]
    bodies = []
    for index, chunk in enumerate(chunks):
        widgets: list[dict[str, Any]] = []
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
