"""The Task states that run a job's Fargate task (`ecs:runTask.sync`), on demand or on Fargate Spot, and the
IAM grants they need. What happens after each attempt is decided in one place: `attempts.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.documents.grants import Statement, Task
from components.documents.redrive import unless_redriven
from components.model.arns import AwsEnv
from components.model.run_context import JOB_ATTEMPT, JOB_EXECUTION_ARN, JOB_NAME, RUN_CONTEXT_VARIABLES, SCHEDULED_TIME
from components.model.spec import Job

# ecs:runTask.sync watches the task through this EventBridge rule, which Step Functions manages
# (Step Functions docs, "IAM policies for Amazon ECS/AWS Fargate").
ECS_SYNC_RULE = "StepFunctionsGetEventsForECSTaskRule"


@dataclass(frozen=True)
class RunTarget:
    """Where and how the job's Fargate task runs, and as whom; plain strings so the builder needs no Pulumi.

    `cluster` is a cluster name or ARN; `env` builds the ARNs the run states' grants name; `prefix` is the
    stack's name prefix, which every job's task family and task role start with; `task_role_arn` is None for a
    job without `permissions` (its container gets no AWS identity)."""

    env: AwsEnv
    prefix: str
    cluster: str
    task_family: str
    container: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: bool
    task_role_arn: str | None
    execution_role_arn: str

    @property
    def cluster_arn(self) -> str:
        return self.cluster if self.cluster.startswith("arn:") else self.env.arn("ecs", f"cluster/{self.cluster}")

    @property
    def cluster_name(self) -> str:
        return self.cluster.rsplit("/", 1)[-1]


def run_task_grants(target: RunTarget) -> tuple[Statement, ...]:
    """What a runTask.sync state needs (Step Functions dev guide, "IAM policies for Amazon ECS/AWS Fargate"):
    run the stack's task families on this cluster, tag the task it starts, watch and stop tasks on this
    cluster, pass the stack's task roles and execution role to ECS tasks, and manage the rule through which
    the state learns that the task stopped.

    Stack-wide, not this job's alone: every job's state machine shares one role (an IAM role per job would
    fill IAM's default 1,000 roles per account at about 500 jobs: IAM user guide, "IAM and AWS STS quotas"),
    so the grants name the stack's prefix (`<prefix>-*`), as the schedules' role does."""
    env, on_cluster = target.env, {"ArnEquals": {"ecs:cluster": target.cluster_arn}}
    return (
        {
            "Sid": "RunTheStacksJobTasks",
            "Effect": "Allow",
            "Action": "ecs:RunTask",
            "Resource": env.arn("ecs", f"task-definition/{target.prefix}-*:*"),
            # Never with ECS Exec on (RunTask's `enableExecuteCommand`, condition key ecs:enable-execute-command:
            # Service Authorization Reference, Amazon ECS): a shell in a job's container would run as its task
            # role, with its secrets. A negated operator also holds when the request leaves the key out (IAM
            # user guide, "IAM JSON policy elements: Condition operators"), as the machines' RunTask does.
            "Condition": {**on_cluster, "StringNotEqualsIgnoreCase": {"ecs:enable-execute-command": "true"}},
        },
        {
            "Sid": "WatchAndStopTasksOnThisCluster",
            "Effect": "Allow",
            "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
            "Resource": env.arn("ecs", f"task/{target.cluster_name}/*"),
            "Condition": on_cluster,
        },
        {
            # RunTask with PropagateTags (or Tags) is also authorized as ecs:TagResource on the new task, limited
            # here to tags applied by RunTask (ECS developer guide, "Grant permission to tag resources on
            # creation"; AWS's managed AmazonEC2ContainerServiceEventsRole grants the same). Step Functions' own
            # ECS policy template omits it; runs then fail with AccessDenied (serverless-step-functions#656).
            "Sid": "TagTheTasksItStarts",
            "Effect": "Allow",
            "Action": "ecs:TagResource",
            "Resource": env.arn("ecs", f"task/{target.cluster_name}/*"),
            "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
        },
        {
            "Sid": "PassTheStacksTaskRolesToEcsTasks",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": sorted({target.env.role_arn(f"{target.prefix}-*-task"), target.execution_role_arn}),
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
        {
            "Sid": "ManageTheEcsSyncRule",
            "Effect": "Allow",
            "Action": ["events:DescribeRule", "events:PutRule", "events:PutTargets"],
            "Resource": env.arn("events", f"rule/{ECS_SYNC_RULE}"),
        },
    )


def _environment_overrides(job_name: str) -> str:
    """JSONata: the container's environment overrides. The run's own variables (`jobctl run --input`, from the
    execution's input, so every retry gets them too) less the names the machine sets, then the run context
    (components/model/run_context.py): the slot, the job, the execution and the attempt. In a redriven execution
    it raises instead, so no task starts (components/documents/redrive.py)."""
    given = "$states.context.Execution.Input.environment"
    reserved = ", ".join(f"'{name}'" for name in RUN_CONTEXT_VARIABLES)
    overrides = (
        f"$append([$exists({given}) ? $each({given}, function($v, $k) {{ {{'Name': $k, 'Value': $string($v)}} }}) "
        f": []][$not(Name in [{reserved}])], ["
        f"{{'Name': '{SCHEDULED_TIME}', 'Value': $slot}}, "
        f"{{'Name': '{JOB_NAME}', 'Value': '{job_name}'}}, "
        f"{{'Name': '{JOB_EXECUTION_ARN}', 'Value': $states.context.Execution.Id}}, "
        f"{{'Name': '{JOB_ATTEMPT}', 'Value': $string($attempt)}}])"
    )
    return unless_redriven(overrides, job_name)


def run_task(job: Job, job_name: str, target: RunTarget, spot: bool, then: str) -> Task:
    """One attempt: start the task and wait for it to stop, for at most the job's timeout. Whatever happens
    goes to `then` with `$outcome` set: on return the stopped task's exit code, stop code and reason; on an
    error its name and cause. `$onSpot` says where it ran. Fargate Spot goes through a capacity provider
    strategy, which RunTask only accepts without a launch type (ECS RunTask API)."""
    placement: dict[str, Any] = (
        {"CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]}
        if spot
        else {"LaunchType": "FARGATE"}
    )
    result = (
        f"{{% {{'taskArn': $states.result.TaskArn, "
        f"'exitCode': $states.result.Containers[Name='{target.container}'].ExitCode, "
        f"'containerReason': $states.result.Containers[Name='{target.container}'].Reason, "
        f"'stopCode': $states.result.StopCode, "
        f"'stoppedReason': $states.result.StoppedReason}} %}}"
    )
    on_spot = "{% true %}" if spot else "{% false %}"
    state = {
        "Type": "Task",
        "Comment": "Run the job's Fargate task and wait for it to stop.",
        "Resource": "arn:aws:states:::ecs:runTask.sync",
        "TimeoutSeconds": job.timeout,
        "Arguments": {
            "Cluster": target.cluster,
            "TaskDefinition": target.task_family,
            **placement,
            "PlatformVersion": "LATEST",
            "NetworkConfiguration": {
                "AwsvpcConfiguration": {
                    "Subnets": list(target.subnets),
                    "SecurityGroups": list(target.security_groups),
                    "AssignPublicIp": "ENABLED" if target.assign_public_ip else "DISABLED",
                }
            },
            "PropagateTags": "TASK_DEFINITION",
            "Overrides": {
                "ContainerOverrides": [{"Name": target.container, "Environment": _environment_overrides(job_name)}]
            },
        },
        "Assign": {"outcome": result, "onSpot": on_spot},
        "Output": result,
        "Catch": [
            {
                "ErrorEquals": ["States.ALL"],
                "Assign": {
                    "outcome": "{% {'error': $states.errorOutput.Error, 'cause': $states.errorOutput.Cause} %}",
                    "onSpot": on_spot,
                },
                "Next": then,
            }
        ],
        "Next": then,
    }
    return Task(state, run_task_grants(target))
