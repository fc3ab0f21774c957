"""The Pulumi program under mocks: what a user's `pulumi up` would register, and with which inputs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import SIMPLE_JOB
from tests.support.pulumi_mocks import ACCOUNT, BASE_CONFIG, Project, RecordingMocks, run_program

JOB_TYPE = "scheduled-jobs:jobs:ScheduledJob"


def _definition(mocks: RecordingMocks, name: str) -> dict[str, Any]:
    machine = mocks.one("aws:sfn/stateMachine:StateMachine", f"{name}-state-machine")
    definition: dict[str, Any] = json.loads(machine.inputs["definition"])
    return definition


def test_each_job_gets_its_resources_parented_to_its_component(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    mocks = run_program(project, BASE_CONFIG)
    children = {r.type for r in mocks.resources if r.parent and r.parent.endswith(f"{JOB_TYPE}::nightly-report")}
    # No IAM role of its own: its state machine uses the stack's shared one, and without `permissions` its
    # container has no AWS identity.
    assert children == {
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:sfn/stateMachine:StateMachine",
        "aws:scheduler/schedule:Schedule",
    }
    # log group, task definition, state machine, schedule, watch schedule
    assert len([r for r in mocks.resources if r.parent and r.parent.endswith("::nightly-report")]) == 5


def test_dropping_a_module_into_jobs_adds_a_job_with_no_other_edit(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    before = run_program(project, BASE_CONFIG)
    project.add_job("cleanup.py", SIMPLE_JOB.replace("app.report", "app.cleanup"))
    after = run_program(project, BASE_CONFIG)

    def names(recorded: RecordingMocks) -> list[str]:
        return sorted(r.name for r in recorded.of_type(JOB_TYPE))

    assert names(before) == ["nightly-report"]
    assert names(after) == ["cleanup", "nightly-report"]
    # the component and its 5 children: log group, task definition, state machine, schedule, watch schedule
    assert len(after.resources) - len(before.resources) == 6


def test_state_machine_and_roles_get_the_documents_the_plan_renders(project: Project) -> None:
    from components.documents.rendered import rendered_documents
    from components.loading.stack import load_stack
    from components.model.arns import AwsEnv

    grant = '{"actions": ["sqs:SendMessage"], "resources": ["arn:aws:sqs:eu-central-1:123456789012:out"]}'
    project.add_job("nightly_report.py", SIMPLE_JOB.replace('timeout="30m"', f'timeout="30m", permissions=[{grant}]'))
    mocks = run_program(project, BASE_CONFIG)
    stack = load_stack(project.jobs, BASE_CONFIG, "scheduled-jobs", "test", "Pulumi.test.yaml")
    rendered = rendered_documents(stack, AwsEnv("aws", "eu-central-1", ACCOUNT))
    assert _definition(mocks, "nightly-report") == rendered["jobs/nightly-report/state-machine.asl.json"]
    for role_name, document in (
        ("shared-job-state-machines-role", "shared/job-state-machines-role.policy.json"),
        ("nightly-report-task-role", "jobs/nightly-report/task-role.policy.json"),
        ("shared-execution-role", "shared/execution-role.policy.json"),
        ("shared-scheduler-role", "shared/scheduler-role.policy.json"),
        ("shared-janitor-role", "shared/lock-janitor-role.policy.json"),
    ):
        role = mocks.one("aws:iam/role:Role", role_name)
        assert json.loads(role.inputs["inlinePolicies"][0]["policy"]) == rendered[document]


def test_state_machine_is_standard_with_logging_and_runs_the_jobs_task(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    mocks = run_program(project, BASE_CONFIG)
    machine = mocks.one("aws:sfn/stateMachine:StateMachine", "nightly-report-state-machine")
    assert machine.inputs["type"] == "STANDARD"
    assert machine.inputs["name"] == "test-nightly-report"
    assert machine.inputs["loggingConfiguration"]["level"] == "ALL"
    assert machine.inputs["loggingConfiguration"]["logDestination"].endswith(
        ":log-group:/aws/vendedlogs/states/test-jobs:*"
    )
    run = _definition(mocks, "nightly-report")["States"]["RunJob"]
    assert run["Arguments"]["Cluster"] == "test-jobs"
    assert run["Arguments"]["TaskDefinition"] == "test-nightly-report"
    assert run["TimeoutSeconds"] == 1800


def test_state_machine_is_created_after_the_task_lock_table_and_spot_capacity_it_names(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    mocks = run_program(project, BASE_CONFIG)
    machine = mocks.one("aws:sfn/stateMachine:StateMachine", "nightly-report-state-machine")
    after = {urn.split("::")[-1] for urn in machine.dependencies}
    assert {
        "shared-job-state-machines-role",
        "nightly-report-task",
        "shared-locks",
        "shared-cluster-capacity",
        "shared-execution-logs",
    } <= after


def test_task_definition_runs_the_command_with_secrets_by_reference(project: Project) -> None:
    project.add_job(
        "nightly_report.py",
        SIMPLE_JOB.replace(
            'timeout="30m"',
            'timeout="30m", cpu=512, memory=2048, environment={"MODE": "full"}, '
            'secrets={"DB_PASSWORD": "/app/db/password"}',
        ),
    )
    mocks = run_program(project, BASE_CONFIG)
    task = mocks.one("aws:ecs/taskDefinition:TaskDefinition", "nightly-report-task")
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("512", "2048")
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
    [container] = json.loads(task.inputs["containerDefinitions"])
    assert container["command"] == ["python", "-m", "app.report"]
    assert container["image"] == BASE_CONFIG["scheduled-jobs:image"]
    assert container["environment"] == [{"name": "MODE", "value": "full"}]
    assert container["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": "/app/db/password"}]
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/scheduled-jobs/test/nightly-report"
    # A stopped run gets SIGTERM and 120 s to exit before SIGKILL (docs/runs.md), Fargate's maximum (ECS
    # developer guide, container definition "stopTimeout").
    assert container["stopTimeout"] == 120
    execution = mocks.one("aws:iam/role:Role", "shared-execution-role")
    policy = json.loads(execution.inputs["inlinePolicies"][0]["policy"])
    reads = [s for s in policy["Statement"] if s["Sid"] == "ReadJobParameters"]
    assert reads[0]["Resource"] == [f"arn:aws:ssm:eu-central-1:{ACCOUNT}:parameter/app/db/password"]


def test_a_job_without_command_runs_the_images_own_cmd_and_entrypoint_where_it_gives_none(project: Project) -> None:
    """ECS runs the image's CMD (ENTRYPOINT) when neither the container definition nor the run's overrides give
    one (ECS developer guide, task definition parameters, `command`, `entryPoint`)."""
    project.add_job(
        "image_default.py", 'from components import Job\n\njob = Job(schedule="cron(0 6 * * ? *)", timeout="30m")\n'
    )
    project.add_job(
        "wrapped.py",
        'from components import Job\n\njob = Job(schedule="cron(0 7 * * ? *)", timeout="30m", '
        'entrypoint=["/bin/sh", "-c"], command=["exec ./report --all"])\n',
    )
    mocks = run_program(project, BASE_CONFIG)
    [plain] = json.loads(
        mocks.one("aws:ecs/taskDefinition:TaskDefinition", "image-default-task").inputs["containerDefinitions"]
    )
    assert "command" not in plain and "entryPoint" not in plain
    [wrapped] = json.loads(
        mocks.one("aws:ecs/taskDefinition:TaskDefinition", "wrapped-task").inputs["containerDefinitions"]
    )
    assert (wrapped["entryPoint"], wrapped["command"]) == (["/bin/sh", "-c"], ["exec ./report --all"])
    # A run's overrides set only the run-context variables, so a manual run keeps the image's command too.
    run = _definition(mocks, "image-default")["States"]["RunJob"]
    [override] = run["Arguments"]["Overrides"]["ContainerOverrides"]
    assert set(override) == {"Name", "Environment"}


def test_schedule_starts_the_state_machine_in_the_jobs_time_zone(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB.replace('timeout="30m"', 'timeout="30m", timezone="Europe/Berlin"'))
    mocks = run_program(project, BASE_CONFIG)
    schedule = mocks.one("aws:scheduler/schedule:Schedule", "nightly-report-schedule")
    assert schedule.inputs["scheduleExpression"] == "cron(0 6 * * ? *)"
    assert schedule.inputs["scheduleExpressionTimezone"] == "Europe/Berlin"
    assert schedule.inputs["state"] == "ENABLED"
    assert schedule.inputs["flexibleTimeWindow"] == {"mode": "OFF"}
    assert schedule.inputs["groupName"] == "test-jobs"
    target = schedule.inputs["target"]
    assert target["arn"] == f"arn:aws:states:eu-central-1:{ACCOUNT}:stateMachine:test-nightly-report"
    assert target["roleArn"] == f"arn:aws:iam::{ACCOUNT}:role/test-job-scheduler"
    assert target["retryPolicy"]["maximumRetryAttempts"] > 0


def test_disabled_job_keeps_its_schedule_but_disabled(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB.replace('timeout="30m"', 'timeout="30m", enabled=False'))
    mocks = run_program(project, BASE_CONFIG)
    assert mocks.one("aws:scheduler/schedule:Schedule", "nightly-report-schedule").inputs["state"] == "DISABLED"


def test_manual_only_job_has_no_schedule_but_can_be_run(project: Project) -> None:
    project.add_job("backfill.py", 'from components import Job\njob = Job(command=["backfill"], timeout="4h")\n')
    mocks = run_program(project, BASE_CONFIG)
    assert mocks.of_type("aws:scheduler/schedule:Schedule") == []
    assert mocks.one("aws:sfn/stateMachine:StateMachine", "backfill-state-machine")


def test_each_slot_is_watched_by_a_schedule_like_the_jobs_own_and_the_run_gets_its_slot(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB.replace('timeout="30m"', 'timeout="30m", timezone="Europe/Berlin"'))
    project.add_job("monthly.py", SIMPLE_JOB.replace("cron(0 6 * * ? *)", "cron(0 6 1 * ? *)"))
    project.add_job(
        "yearly.py",
        SIMPLE_JOB.replace("cron(0 6 * * ? *)", "@yearly").replace('timeout="30m"', 'timeout="30m", enabled=False'),
    )
    mocks = run_program(project, BASE_CONFIG)
    for job in ("nightly-report", "monthly", "yearly"):
        schedule = mocks.one("aws:scheduler/schedule:Schedule", f"{job}-schedule")
        watch = mocks.one("aws:scheduler/schedule:Schedule", f"{job}-watch")
        # The same slots, DST included, because EventBridge Scheduler computes both from the same fields.
        for field in ("name", "scheduleExpression", "scheduleExpressionTimezone", "state"):
            assert watch.inputs[field] == schedule.inputs[field], (job, field)
        assert (schedule.inputs["groupName"], watch.inputs["groupName"]) == ("test-jobs", "test-slot-watch")
        assert watch.inputs["target"]["arn"] == f"arn:aws:states:eu-central-1:{ACCOUNT}:stateMachine:test-slot-watch"
        assert json.loads(watch.inputs["target"]["input"]) == {"job": job, "slot": "<aws.scheduler.scheduled-time>"}
        assert json.loads(schedule.inputs["target"]["input"]) == {"scheduledTime": "<aws.scheduler.scheduled-time>"}
    assert mocks.one("aws:scheduler/schedule:Schedule", "yearly-watch").inputs["state"] == "DISABLED"
    # No per-job CloudWatch alarm: a job alerts from its own machine, its slots from the watch.
    assert {a.name for a in mocks.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")} == {
        "shared-schedule-dlq-alarm",
        "shared-janitor-alarm",
        "shared-slot-watch-alarm",
    }


def test_shared_infrastructure_is_built_once(project: Project) -> None:
    project.add_job("a.py", SIMPLE_JOB)
    project.add_job("b.py", SIMPLE_JOB)
    mocks = run_program(project, BASE_CONFIG)
    [table] = mocks.of_type("aws:dynamodb/table:Table")
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["hashKey"] == "LockId"
    assert table.inputs["ttl"] == {"attributeName": "ExpiresAt", "enabled": True}
    assert len(mocks.of_type("aws:sns/topic:Topic")) == 1
    [subscription] = mocks.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert subscription.inputs["endpoint"] == "oncall@example.com"
    assert len(mocks.of_type("aws:ecs/cluster:Cluster")) == 1
    janitors = [m for m in mocks.of_type("aws:sfn/stateMachine:StateMachine") if m.name == "shared-janitor"]
    assert len(janitors) == 1
    [rule] = mocks.of_type("aws:cloudwatch/eventRule:EventRule")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["detail"]["status"] == ["FAILED", "TIMED_OUT", "ABORTED"]


def test_existing_cluster_and_topic_are_used_not_created(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    config = {
        **{k: v for k, v in BASE_CONFIG.items() if k != "scheduled-jobs:alarmEmails"},
        "scheduled-jobs:clusterArn": f"arn:aws:ecs:eu-central-1:{ACCOUNT}:cluster/platform",
        "scheduled-jobs:alarmTopicArn": f"arn:aws:sns:eu-central-1:{ACCOUNT}:ops",
    }
    mocks = run_program(project, config)
    assert mocks.of_type("aws:ecs/cluster:Cluster") == []
    assert mocks.of_type("aws:sns/topic:Topic") == []
    assert _definition(mocks, "nightly-report")["States"]["RunJob"]["Arguments"]["Cluster"] == "platform"
    states = _definition(mocks, "nightly-report")["States"]
    assert states["SendFailureAlert"]["Arguments"]["TopicArn"] == f"arn:aws:sns:eu-central-1:{ACCOUNT}:ops"


def test_stack_overrides_change_schedule_and_switch_a_job_off(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    project.add_job("cleanup.py", SIMPLE_JOB)
    config = {
        **BASE_CONFIG,
        "scheduled-jobs:jobs": {
            "nightly-report": {"schedule": "rate(1 hour)", "cpu": 1024, "memory": 2048, "image": "busybox:1"},
            "cleanup": {"enabled": False},
        },
    }
    mocks = run_program(project, config)
    report = mocks.one("aws:scheduler/schedule:Schedule", "nightly-report-schedule")
    watch = mocks.one("aws:scheduler/schedule:Schedule", "nightly-report-watch")
    # A rate is deployed as its cron, at the minute the job's name fixes, in UTC (docs/runs.md#rate-schedules).
    for schedule in (report, watch):
        assert schedule.inputs["scheduleExpression"] == "cron(23 * * * ? *)"
        assert schedule.inputs["scheduleExpressionTimezone"] == "UTC"
        assert "startDate" not in schedule.inputs
    task = mocks.one("aws:ecs/taskDefinition:TaskDefinition", "nightly-report-task")
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("1024", "2048")
    assert json.loads(task.inputs["containerDefinitions"])[0]["image"] == "busybox:1"
    assert mocks.one("aws:scheduler/schedule:Schedule", "cleanup-schedule").inputs["state"] == "DISABLED"


def test_task_role_gets_exactly_the_jobs_permissions_and_a_stack_may_replace_them(project: Project) -> None:
    grant = '{"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::reports/*"]}'
    project.add_job("nightly_report.py", SIMPLE_JOB.replace('timeout="30m"', f'timeout="30m", permissions=[{grant}]'))
    project.add_job("cleanup.py", SIMPLE_JOB)

    def task_role_inline(config: dict[str, object], job: str) -> list[dict[str, str]]:
        policies: list[dict[str, str]] = (
            run_program(project, config).one("aws:iam/role:Role", f"{job}-task-role").inputs["inlinePolicies"]
        )
        return policies

    [policy] = task_role_inline(BASE_CONFIG, "nightly-report")
    assert policy["name"] == "job-permissions"
    assert json.loads(policy["policy"])["Statement"] == [
        {"Sid": "JobPermission1", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::reports/*"]}
    ]
    # No permissions: no task role at all (a grant removed from the module is revoked with the role).
    mocks = run_program(project, BASE_CONFIG)
    assert [r.name for r in mocks.of_type("aws:iam/role:Role") if r.name.endswith("-task-role")] == [
        "nightly-report-task-role"
    ]
    assert "taskRoleArn" not in mocks.one("aws:ecs/taskDefinition:TaskDefinition", "cleanup-task").inputs
    prod = {"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::prod-reports/*"]}
    overridden = {**BASE_CONFIG, "scheduled-jobs:jobs": {"nightly-report": {"permissions": [prod]}}}
    [policy] = task_role_inline(overridden, "nightly-report")
    assert json.loads(policy["policy"])["Statement"][0]["Resource"] == ["arn:aws:s3:::prod-reports/*"]


def test_bad_job_stops_the_program_before_any_resource_is_registered(project: Project) -> None:
    project.add_job("good.py", SIMPLE_JOB)
    project.add_job("bad.py", SIMPLE_JOB.replace('timeout="30m"', 'timout="30m"'))
    mocks = run_program(project, BASE_CONFIG, capture_error=True)
    assert mocks.error is not None
    message = str(mocks.error)
    assert "jobs/bad.py:4: timout: unknown field" in message
    assert "nothing was deployed" in message
    assert mocks.resources == []  # not the shared pieces, not the good job


def test_exports_name_each_jobs_state_machine_and_schedule(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    project.add_job("backfill.py", 'from components import Job\njob = Job(command=["backfill"], timeout="4h")\n')
    mocks = run_program(project, BASE_CONFIG)
    assert mocks.exports["jobs"] == {
        "nightly-report": {
            "stateMachineArn": f"arn:aws:states:eu-central-1:{ACCOUNT}:stateMachine:test-nightly-report",
            "scheduleName": "test-nightly-report",
        },
        "backfill": {
            "stateMachineArn": f"arn:aws:states:eu-central-1:{ACCOUNT}:stateMachine:test-backfill",
            "scheduleName": None,
        },
    }
    assert mocks.exports["lockTableName"] == "test-job-locks"
    assert mocks.exports["namePrefix"] == "test"  # what `jobctl --stack` reads


def test_the_slot_watch_knows_each_watched_jobs_deadline(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB.replace('timeout="30m"', 'timeout="30m", warn_after="20m"'))
    project.add_job("manual.py", 'from components import Job\njob = Job(command=["x"], timeout="1h")\n')
    mocks = run_program(project, BASE_CONFIG)
    machine = mocks.one("aws:sfn/stateMachine:StateMachine", "shared-slot-watch")
    watch = json.loads(machine.inputs["definition"])["States"]["Watch"]["Assign"]["info"]
    # 4 attempts of 30 min (7200 s), 210 s of start waits, 300 s of lock steps, then 15 min of grace: 8610 s
    assert '"nightly-report": {"deadline": 8610, "deadlineText": "2h23m30s", "late": 300' in watch
    assert '"warn": 1200' in watch and "manual" not in watch


def test_dashboard_shows_each_jobs_runs_and_every_alarm(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    project.add_job("manual.py", 'from components import Job\njob = Job(command=["x"], timeout="1h")\n')
    mocks = run_program(project, BASE_CONFIG)
    [dashboard] = mocks.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.inputs["dashboardName"] == "test-jobs"
    widgets = json.loads(dashboard.inputs["dashboardBody"])["widgets"]
    state, success, deadlines = widgets[0], widgets[1], widgets[2]
    assert "stats max(@timestamp) as last_success by job" in success["properties"]["query"]
    # Each job's last outcome, last run and last success, from the machines' execution logs.
    assert state["type"] == "log"
    assert state["properties"]["query"].startswith("SOURCE '/aws/vendedlogs/states/test-jobs' | ")
    assert "parse execution_arn /:execution:test-(?<job>[^:]+):/" in state["properties"]["query"]
    assert deadlines["type"] == "text"
    assert "| nightly-report | slot + 2h23m30s, late 5m |" in deadlines["properties"]["markdown"]
    assert "manual" not in deadlines["properties"]["markdown"]
    widgets = widgets[3:]
    assert widgets[0]["properties"]["alarms"] == [
        f"arn:aws:cloudwatch:eu-central-1:{ACCOUNT}:alarm:test-job-schedule-dlq-not-empty",
        f"arn:aws:cloudwatch:eu-central-1:{ACCOUNT}:alarm:test-lock-janitor-failed",
        f"arn:aws:cloudwatch:eu-central-1:{ACCOUNT}:alarm:test-slot-watch-failed",
    ]
    assert [w["properties"]["title"] for w in widgets[1:]] == ["manual", "nightly-report"]
    metrics = {m[1] for m in widgets[2]["properties"]["metrics"]}
    assert metrics == {
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionsAborted",
        "ExecutionTime",
    }


def test_schedules_send_undeliverable_starts_to_a_watched_dead_letter_queue(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    mocks = run_program(project, BASE_CONFIG)
    [queue] = mocks.of_type("aws:sqs/queue:Queue")
    assert queue.inputs["name"] == "test-job-schedule-dlq"
    schedule = mocks.one("aws:scheduler/schedule:Schedule", "nightly-report-schedule")
    queue_arn = f"arn:aws:sqs:eu-central-1:{ACCOUNT}:test-job-schedule-dlq"
    assert schedule.inputs["target"]["deadLetterConfig"] == {"arn": queue_arn}
    alarm = mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", "shared-schedule-dlq-alarm")
    assert alarm.inputs["metricName"] == "ApproximateNumberOfMessagesVisible"
    role = mocks.one("aws:iam/role:Role", "shared-scheduler-role")
    assert queue_arn in role.inputs["inlinePolicies"][0]["policy"]
    off = run_program(project, {**BASE_CONFIG, "scheduled-jobs:scheduleDeadLetterQueue": False})
    assert off.of_type("aws:sqs/queue:Queue") == []
    schedule = off.one("aws:scheduler/schedule:Schedule", "nightly-report-schedule")
    assert "deadLetterConfig" not in schedule.inputs["target"]


def test_the_dead_letter_alarm_returns_to_ok_once_the_queue_is_empty(project: Project) -> None:
    """It fires on the largest visible count of a 5-minute period above 0, so it clears in the first period the
    queue is empty (`jobctl dlq replay` or `delete` emptied it), and with no data at all: SQS emits its metrics
    only while a queue is active (SQS developer guide, "Available CloudWatch metrics for Amazon SQS"), so an
    empty, quiet queue's missing data must count as not breaching, not hold the last state. It says so both ways."""
    project.add_job("nightly_report.py", SIMPLE_JOB)
    alarm = run_program(project, BASE_CONFIG).one("aws:cloudwatch/metricAlarm:MetricAlarm", "shared-schedule-dlq-alarm")
    watched = {k: alarm.inputs.get(k) for k in ("namespace", "metricName", "dimensions", "statistic", "period")}
    assert watched == {
        "namespace": "AWS/SQS",
        "metricName": "ApproximateNumberOfMessagesVisible",  # in-flight (being replayed) messages are not counted
        "dimensions": {"QueueName": "test-job-schedule-dlq"},
        "statistic": "Maximum",
        "period": 300,
    }
    condition = ("comparisonOperator", "threshold", "evaluationPeriods", "treatMissingData")
    assert [alarm.inputs.get(k) for k in condition] == ["GreaterThanThreshold", 0, 1, "notBreaching"]
    assert alarm.inputs["okActions"] == alarm.inputs["alarmActions"] != []


def test_stack_capacity_makes_jobs_run_on_spot_unless_a_job_says_otherwise(project: Project) -> None:
    project.add_job("cheap.py", SIMPLE_JOB)
    project.add_job("urgent.py", SIMPLE_JOB.replace('timeout="30m"', 'timeout="30m", capacity="on-demand"'))
    mocks = run_program(project, {**BASE_CONFIG, "scheduled-jobs:capacity": "spot"})
    assert _definition(mocks, "cheap")["States"]["AcquireLock"]["Next"] == "RunJobOnSpot"
    assert "RunJobOnSpot" in _definition(mocks, "cheap")["States"]
    assert "RunJobOnSpot" not in _definition(mocks, "urgent")["States"]
    [providers] = mocks.of_type("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert providers.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


def test_replacing_job_is_not_alarmed_for_the_runs_it_stops_on_purpose(project: Project) -> None:
    """A run stopped by its replacer ends ABORTED without a Catch; the janitor finds the lock taken over by the
    replacer and does nothing (tests/executed/test_replace_on_moto.py), so only real failures alert."""
    project.add_job("sync.py", SIMPLE_JOB.replace('timeout="30m"', 'timeout="30m", concurrency="replace"'))
    mocks = run_program(project, BASE_CONFIG)
    states = _definition(mocks, "sync")["States"]
    assert states["StopLockHolder"]["Arguments"]["Error"] == "Job.Replaced"
    assert states["TakeOverLock"]["Next"] == "RunJob"  # the replacer holds the lock before the holder's janitor runs


def test_a_failing_throttled_or_unstartable_janitor_notifies_the_topic(project: Project) -> None:
    project.add_job("nightly_report.py", SIMPLE_JOB)
    mocks = run_program(project, BASE_CONFIG)
    alarm = mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", "shared-janitor-alarm")
    assert alarm.inputs["name"] == "test-lock-janitor-failed"
    janitor = f"arn:aws:states:eu-central-1:{ACCOUNT}:stateMachine:test-lock-janitor"
    metrics = {
        (q["metric"]["namespace"], q["metric"]["metricName"]): q["metric"]["dimensions"]
        for q in alarm.inputs["metricQueries"]
        if "metric" in q
    }
    assert metrics == {
        ("AWS/States", "ExecutionsFailed"): {"StateMachineArn": janitor},
        ("AWS/States", "ExecutionsTimedOut"): {"StateMachineArn": janitor},
        ("AWS/States", "ExecutionsAborted"): {"StateMachineArn": janitor},
        ("AWS/States", "ExecutionThrottled"): {"StateMachineArn": janitor},
        ("AWS/Events", "FailedInvocations"): {"RuleName": "test-lock-janitor"},
    }
    [expression] = [q["expression"] for q in alarm.inputs["metricQueries"] if "expression" in q]
    assert expression == (
        "FILL(failed, 0) + FILL(timedout, 0) + FILL(aborted, 0) + FILL(throttled, 0) + FILL(notstarted, 0)"
    )
    topic = f"arn:aws:sns:eu-central-1:{ACCOUNT}:test-job-alarms"
    assert alarm.inputs["alarmActions"] == [topic] and alarm.inputs["okActions"] == [topic]
    assert "jobctl unlock JOB" in alarm.inputs["alarmDescription"]


def test_the_program_warns_about_a_permission_iam_never_allows_as_the_plan_does(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    project.add_job(
        "export.py",
        "from components import Job\n\njob = Job(command=['x'], timeout='1h', permissions=[{'actions': "
        "['s3:ListBucket'], 'resources': ['arn:aws:s3:::bucket/*']}])\n",
    )
    with caplog.at_level("WARNING"):
        run_program(project, BASE_CONFIG)
    warnings = [
        r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "permissions[0]" in r.getMessage()
    ]
    assert len(warnings) == 1
    assert warnings[0].startswith("jobs/export.py: permissions[0]: s3:ListBucket: applies to resource type")
    assert warnings[0].endswith("e.g. arn:aws:s3:::bucket")
