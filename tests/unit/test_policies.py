"""The IAM policies each role gets: least privilege, asserted statement by statement."""

from __future__ import annotations

import json
from typing import Any

from components.documents import policies
from components.documents.job_machine import job_machine
from components.documents.lock_janitor import janitor_machine, start_janitor_policy
from components.documents.table_machine import TableMachineArgs
from components.model.permissions import INLINE_POLICY_BUDGET
from tests.support.builders import ALERTS, ENV, TARGET, job

ACCOUNT = ENV.account_id
TABLE_ARN = f"arn:aws:dynamodb:eu-central-1:{ACCOUNT}:table/prod-job-locks"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/prod-job-execution"


def _machine_policy(lock: bool = True, replace: bool = False) -> dict[str, Any]:
    concurrency = "replace" if replace else ("forbid" if lock else "allow")
    policy: dict[str, Any] = job_machine(job(concurrency=concurrency), TARGET, "prod-job-locks", ALERTS).policy
    return policy


def _statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in document["Statement"] if s.get("Sid") == sid]
    [statement] = found
    return statement


def test_state_machine_may_run_only_the_stacks_task_families_on_this_cluster() -> None:
    run = _statement(_machine_policy(), "RunTheStacksJobTasks")
    assert run["Action"] == "ecs:RunTask"
    assert run["Resource"] == f"arn:aws:ecs:eu-central-1:{ACCOUNT}:task-definition/prod-*:*"
    assert run["Condition"] == {
        "ArnEquals": {"ecs:cluster": f"arn:aws:ecs:eu-central-1:{ACCOUNT}:cluster/prod-jobs"},
        "StringNotEqualsIgnoreCase": {"ecs:enable-execute-command": "true"},  # never with ECS Exec on
    }


def test_state_machine_may_watch_and_stop_tasks_only_on_this_cluster() -> None:
    watch = _statement(_machine_policy(), "WatchAndStopTasksOnThisCluster")
    assert watch["Action"] == ["ecs:DescribeTasks", "ecs:StopTask"]
    assert watch["Resource"] == f"arn:aws:ecs:eu-central-1:{ACCOUNT}:task/prod-jobs/*"


def test_state_machine_may_pass_only_the_stacks_task_roles_and_execution_role_to_ecs_tasks() -> None:
    passing = _statement(_machine_policy(), "PassTheStacksTaskRolesToEcsTasks")
    assert passing["Resource"] == sorted([f"arn:aws:iam::{ACCOUNT}:role/prod-*-task", EXECUTION_ROLE])
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}


def test_state_machine_manages_only_the_step_functions_ecs_rule() -> None:
    rule = _statement(_machine_policy(), "ManageTheEcsSyncRule")
    assert rule["Resource"] == f"arn:aws:events:eu-central-1:{ACCOUNT}:rule/StepFunctionsGetEventsForECSTaskRule"


def test_state_machine_may_use_only_the_stacks_lock_table() -> None:
    lock = _statement(_machine_policy(), "UseTheLockTable")
    # claim the slot (put, and get who claimed it), take, release and remember: one conditional update each
    assert lock["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert lock["Resource"] == TABLE_ARN
    assert "Condition" not in lock  # the job state machines share one role: any item of this table


def test_job_without_lock_may_read_put_and_update_items_of_the_lock_table() -> None:
    item = _statement(_machine_policy(lock=False), "UseTheLockTable")
    assert item["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    assert item["Resource"] == TABLE_ARN


def test_no_wildcard_action_and_star_resource_only_where_aws_requires_it() -> None:
    documents = [
        _machine_policy(),
        policies.execution_role_policy(
            ENV,
            log_group_prefix="/scheduled-jobs/prod/",
            images=[f"{ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/app:1"],
            secret_refs=["/app/x"],
        ),
        janitor_machine(
            TableMachineArgs(env=ENV, table="prod-job-locks", alerts=ALERTS),
            name_prefix="prod",
            shared_machines=["lock-janitor"],
            sources={"report": "jobs/report.py"},
        ).policy,
        policies.scheduler_policy(ENV, "prod", ["prod-report"]),
        start_janitor_policy(ENV, "prod-lock-janitor"),
    ]
    for document in documents:
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert "*" not in actions and not any(a.endswith(":*") for a in actions)
            if statement["Resource"] == "*":
                assert statement["Sid"] in ("DeliverExecutionLogs", "LogInToEcr"), statement


def test_every_trust_policy_names_the_account_and_the_source() -> None:
    trusts = {
        "states.amazonaws.com": policies.state_machine_trust(ENV, "prod-report"),
        "ecs-tasks.amazonaws.com": policies.ecs_task_trust(ENV),
        "scheduler.amazonaws.com": policies.scheduler_trust(ENV, ["prod-jobs"]),
        "events.amazonaws.com": policies.events_trust(ENV, "prod-lock-janitor"),
    }
    for service, trust in trusts.items():
        [statement] = trust["Statement"]
        assert statement["Principal"] == {"Service": service}
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
        assert statement["Condition"]["ArnLike"]["aws:SourceArn"]
    machine = trusts["states.amazonaws.com"]["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"]
    assert f"arn:aws:states:eu-central-1:{ACCOUNT}:stateMachine:prod-report" in machine
    scheduler = trusts["scheduler.amazonaws.com"]["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"]
    assert scheduler == f"arn:aws:scheduler:eu-central-1:{ACCOUNT}:schedule-group/prod-jobs"


def test_execution_role_reads_only_referenced_secrets_and_pulls_only_job_images() -> None:
    document = policies.execution_role_policy(
        ENV,
        log_group_prefix="/scheduled-jobs/prod/",
        images=[f"{ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/app:1", "busybox:1.36"],
        secret_refs=[
            "/app/db/password",
            f"arn:aws:secretsmanager:eu-central-1:{ACCOUNT}:secret:app/api-key-Ab12Cd:token::",
            f"arn:aws:secretsmanager:eu-central-1:{ACCOUNT}:secret:app/partial",
        ],
    )
    assert _statement(document, "ReadJobParameters")["Resource"] == [
        f"arn:aws:ssm:eu-central-1:{ACCOUNT}:parameter/app/db/password"
    ]
    assert _statement(document, "ReadJobSecrets")["Resource"] == [
        f"arn:aws:secretsmanager:eu-central-1:{ACCOUNT}:secret:app/api-key-Ab12Cd",
        f"arn:aws:secretsmanager:eu-central-1:{ACCOUNT}:secret:app/partial-??????",
    ]
    assert _statement(document, "PullJobImages")["Resource"] == [f"arn:aws:ecr:eu-central-1:{ACCOUNT}:repository/app"]
    assert _statement(document, "WriteJobLogs")["Resource"] == (
        f"arn:aws:logs:eu-central-1:{ACCOUNT}:log-group:/scheduled-jobs/prod/*:*"
    )


def test_execution_role_without_ecr_images_or_secrets_gets_neither() -> None:
    document = policies.execution_role_policy(
        ENV, log_group_prefix="/scheduled-jobs/prod/", images=["busybox:1.36"], secret_refs=[]
    )
    assert [s["Sid"] for s in document["Statement"]] == ["WriteJobLogs"]


def test_scheduler_may_start_exactly_the_jobs_state_machines_until_the_policy_would_not_fit() -> None:
    few = policies.scheduler_policy(ENV, "prod", ["prod-a", "prod-b"])
    assert few["Statement"][0]["Resource"] == [
        f"arn:aws:states:eu-central-1:{ACCOUNT}:stateMachine:prod-a",
        f"arn:aws:states:eu-central-1:{ACCOUNT}:stateMachine:prod-b",
    ]
    many = policies.scheduler_policy(ENV, "prod", [f"prod-job-{i}" for i in range(500)])
    assert many["Statement"][0]["Resource"] == f"arn:aws:states:eu-central-1:{ACCOUNT}:stateMachine:prod-*"
    assert len(json.dumps(many)) < INLINE_POLICY_BUDGET


def test_replacing_job_may_also_stop_executions_of_the_stacks_jobs_only() -> None:
    document = _machine_policy(replace=True)
    stop = _statement(document, "StopTheStacksRunningExecutions")
    assert stop["Action"] == "states:StopExecution"
    assert stop["Resource"] == f"arn:aws:states:eu-central-1:{ACCOUNT}:execution:prod-*"
    assert "StopTheStacksRunningExecutions" not in json.dumps(_machine_policy())


def test_scheduler_may_park_undelivered_starts_in_the_dead_letter_queue() -> None:
    queue = f"arn:aws:sqs:eu-central-1:{ACCOUNT}:prod-job-schedule-dlq"
    document = policies.scheduler_policy(ENV, "prod", ["prod-a"], dead_letter_queue_arn=queue)
    assert _statement(document, "ParkUndeliveredStarts") == {
        "Sid": "ParkUndeliveredStarts",
        "Effect": "Allow",
        "Action": "sqs:SendMessage",
        "Resource": queue,
    }


def test_job_permissions_become_one_allow_statement_each_on_the_task_role() -> None:
    from components.model.permissions import Permission, task_role_policy

    grants = [
        Permission(actions=["s3:PutObject", "s3:AbortMultipartUpload"], resources=["arn:aws:s3:::reports/*"]),
        Permission(actions=["cloudwatch:PutMetricData"], resources=["*"]),
    ]
    assert task_role_policy(grants) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "JobPermission1",
                "Effect": "Allow",
                "Action": ["s3:AbortMultipartUpload", "s3:PutObject"],
                "Resource": ["arn:aws:s3:::reports/*"],
            },
            {"Sid": "JobPermission2", "Effect": "Allow", "Action": ["cloudwatch:PutMetricData"], "Resource": ["*"]},
        ],
    }
    assert task_role_policy([]) is None
