"""The documents the third-party validators check: what the dev stack renders from the shipped jobs, and
generated edge cases the shipped jobs do not reach."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import plan
from components.documents.job_machine import job_definition
from components.documents.lock_janitor import janitor_machine
from components.documents.rendered import rendered_documents
from components.documents.run_task import RunTarget
from components.documents.table_machine import TableMachineArgs
from components.model.arns import AwsEnv
from components.model.naming import job_names, shared_names
from components.model.spec import Job
from tests.support.builders import ALERTS, stack_job

REPO = Path(__file__).resolve().parents[2]
ENV = AwsEnv("aws", "eu-central-1", "123456789012")


def _shipped_documents() -> dict[str, dict[str, Any]]:
    """What `python plan.py --stack dev` renders from the shipped jobs/ and Pulumi.dev.yaml."""
    stack = plan.load("dev")
    return {
        f"dev/{path}": doc
        for path, doc in rendered_documents(stack, AwsEnv("aws", stack.config.region, ENV.account_id)).items()
    }


SHIPPED = _shipped_documents()

COMMAND = ["python", "-m", "app.task"]
SECRETS = {
    **{f"SSM_NAME_{i}": f"/app/secret/{i}" for i in range(20)},
    **{f"SSM_ARN_{i}": f"arn:aws:ssm:eu-central-1:123456789012:parameter/app/p{i}" for i in range(20)},
    **{f"SM_FULL_{i}": f"arn:aws:secretsmanager:eu-central-1:123456789012:secret:app/s{i}-Ab12Cd" for i in range(10)},
    **{
        f"SM_KEY_{i}": f"arn:aws:secretsmanager:eu-central-1:123456789012:secret:app/k{i}:password::" for i in range(10)
    },
}
EDGE_JOBS: dict[str, Job] = {
    "forbid-defaults": Job(command=COMMAND, timeout="30m"),
    "allow": Job(command=COMMAND, timeout="30m", concurrency="allow"),
    "allow-retries-10": Job(command=COMMAND, timeout="5m", concurrency="allow", retries=10),
    "retries-0": Job(command=COMMAND, timeout="1h", retries=0),
    "retries-10-backoff-1": Job(
        command=COMMAND, timeout="1m", retries={"attempts": 10, "interval": "1s", "backoff_rate": 1}
    ),
    "retries-10-daily-backoff": Job(
        command=COMMAND, timeout="1h", retries={"attempts": 10, "interval": "1d", "backoff_rate": 1.5}
    ),
    "manual-only": Job(command=COMMAND, timeout="10m"),
    "one-second": Job(command=COMMAND, timeout=1),
    "long-timeout": Job(command=COMMAND, timeout="60d", retries=1),
    # 4 attempts (the run and 3 start retries) of 91 days each, and the waits, fit in 365 days; 92 do not.
    "longest-timeout": Job(command=COMMAND, timeout="91d"),
    "many-secrets": Job(
        command=COMMAND, timeout="30m", secrets=SECRETS, environment={f"VAR_{i}": str(i) for i in range(50)}
    ),
    "odd-description": Job(
        command=COMMAND,
        timeout="30m",
        description=("Quotes \" and ' and {% not JSONata %}, $states, ümlauts — " + "x" * 256)[:256],
    ),
    "disabled-berlin": Job(
        command=COMMAND, timeout="30m", schedule="cron(30 2 * * ? *)", timezone="Europe/Berlin", enabled=False
    ),
    "x" * 60: Job(command=COMMAND, timeout="30m"),  # a long name: state names and lock keys carry it
}
WIDE_TARGET = RunTarget(
    env=ENV,
    prefix="edge",
    cluster="arn:aws:ecs:eu-central-1:123456789012:cluster/shared",
    task_family="edge-task",
    container="job",
    subnets=tuple(f"subnet-{i:017x}" for i in range(16)),
    security_groups=tuple(f"sg-{i:017x}" for i in range(5)),
    assign_public_ip=True,
    task_role_arn=ENV.role_arn("edge-task"),
    execution_role_arn=ENV.role_arn("edge-job-execution"),
)


def _edge_definitions() -> dict[str, dict[str, Any]]:
    definitions: dict[str, dict[str, Any]] = {}
    for key, spec in EDGE_JOBS.items():
        job = spec.model_copy(update={"name": key})
        names = job_names("edge", key)
        narrow = RunTarget(
            ENV,
            "edge",
            "edge-jobs",
            names.task_family,
            names.container,
            ("subnet-0123456789abcdef0",),
            (),
            False,
            ENV.role_arn(names.task_role),
            ENV.role_arn("edge-job-execution"),
        )
        for target_name, target in (("narrow", narrow), ("wide", WIDE_TARGET)):
            definitions[f"edge/{key}/{target_name}.asl.json"] = job_definition(
                stack_job(job, "edge"), target, shared_names("edge").lock_table, ALERTS
            )
    for prefix in ("dev", "a", "prod-eu-central-1-payments"):
        definitions[f"edge/janitor-{prefix}.asl.json"] = janitor_machine(
            TableMachineArgs(env=ENV, table=shared_names(prefix).lock_table, alerts=ALERTS),
            name_prefix=prefix,
            shared_machines=["report"],
            sources={"report": "jobs/report.py"},
        ).definition
    return definitions


DEFINITIONS = {
    **{path: doc for path, doc in SHIPPED.items() if path.endswith(".asl.json")},
    **_edge_definitions(),
}


def broken_definition() -> dict[str, Any]:
    """A generated definition with one typo: RunJob goes on to a state that does not exist."""
    broken = copy.deepcopy(DEFINITIONS["edge/forbid-defaults/narrow.asl.json"])
    broken["States"]["RunJob"]["Next"] = "ClassifyAttemp"
    return broken
