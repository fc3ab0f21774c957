"""The states that run a job's Fargate task (`ecs:runTask.sync`), on demand or on Fargate Spot, with
the retries the job asked for, the exit-code check, and the IAM grants each run state needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.documents.grants import State, Statement, Task
from components.model.arns import AwsEnv
from components.model.aws_constants import ECS_START_ERRORS, TASK_FAILED
from components.model.spec import Job
from components.model.timing import START_RETRY_ATTEMPTS, START_RETRY_BACKOFF_RATE, START_RETRY_INTERVAL_SECONDS

# ecs:runTask.sync watches the task through this EventBridge rule, which Step Functions manages
# (Step Functions docs, "IAM policies for Amazon ECS/AWS Fargate").
ECS_SYNC_RULE = "StepFunctionsGetEventsForECSTaskRule"

JOB_FAILED_EXIT_CODE = "Job.NonZeroExit"
SPOT_INTERRUPTED = "SpotInterruption"  # the StopCode of a Fargate Spot task that AWS took back


@dataclass(frozen=True)
class RunTarget:
    """Where and how the job's Fargate task runs, and as whom; plain strings so the builder needs no Pulumi.

    `cluster` is a cluster name or ARN; `env` builds the ARNs the run states' grants name."""

    env: AwsEnv
    cluster: str
    task_family: str
    container: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: bool
    task_role_arn: str
    execution_role_arn: str

    @property
    def cluster_arn(self) -> str:
        return self.cluster if self.cluster.startswith("arn:") else self.env.arn("ecs", f"cluster/{self.cluster}")

    @property
    def cluster_name(self) -> str:
        return self.cluster.rsplit("/", 1)[-1]


def run_task_grants(target: RunTarget) -> tuple[Statement, ...]:
    """What a runTask.sync state needs (Step Functions dev guide, "IAM policies for Amazon ECS/AWS Fargate"):
    run this job's task family on this cluster, tag the task it starts, watch and stop tasks on this
    cluster, pass this job's two roles to ECS tasks, and manage the rule through which the state learns
    that the task stopped."""
    env, on_cluster = target.env, {"ArnEquals": {"ecs:cluster": target.cluster_arn}}
    return (
        {
            "Sid": "RunThisJobsTask",
            "Effect": "Allow",
            "Action": "ecs:RunTask",
            "Resource": env.arn("ecs", f"task-definition/{target.task_family}:*"),
            "Condition": on_cluster,
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
            "Sid": "PassThisJobsRolesToEcsTasks",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": sorted({target.task_role_arn, target.execution_role_arn}),
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
        {
            "Sid": "ManageTheEcsSyncRule",
            "Effect": "Allow",
            "Action": ["events:DescribeRule", "events:PutRule", "events:PutTargets"],
            "Resource": env.arn("events", f"rule/{ECS_SYNC_RULE}"),
        },
    )


_ENVIRONMENT_OVERRIDES = (
    "{% $exists($states.input.environment) ? "
    "[$each($states.input.environment, function($v, $k) { {'Name': $k, 'Value': $string($v)} })] : [] %}"
)


def _start_retry() -> State:
    return {
        "ErrorEquals": list(ECS_START_ERRORS),
        "IntervalSeconds": START_RETRY_INTERVAL_SECONDS,
        "MaxAttempts": START_RETRY_ATTEMPTS,
        "BackoffRate": START_RETRY_BACKOFF_RATE,
        "JitterStrategy": "FULL",
    }


def _job_retry(job: Job, attempts: int, first_wait: int | None = None) -> list[State]:
    # Only failed runs are retried, as the job asked; a timed-out run (States.Timeout) is not.
    if attempts <= 0:
        return []
    return [
        {
            "ErrorEquals": [TASK_FAILED],
            "IntervalSeconds": job.retries.interval if first_wait is None else first_wait,
            "MaxAttempts": attempts,
            "BackoffRate": float(job.retries.backoff_rate),
        }
    ]


def _run_task(job: Job, target: RunTarget, spot: bool) -> State:
    """A runTask.sync state without Retry/Catch; Fargate Spot goes through a capacity provider
    strategy, which RunTask only accepts without a launch type. Its grants: `run_task_grants`."""
    placement: dict[str, Any] = (
        {"CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]}
        if spot
        else {"LaunchType": "FARGATE"}
    )
    return {
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
            "Overrides": {"ContainerOverrides": [{"Name": target.container, "Environment": _ENVIRONMENT_OVERRIDES}]},
        },
        "Output": (
            f"{{% {{'taskArn': $states.result.TaskArn, "
            f"'exitCode': $states.result.Containers[Name='{target.container}'].ExitCode, "
            f"'stopCode': $states.result.StopCode, "
            f"'stoppedReason': $states.result.StoppedReason}} %}}"
        ),
        "Next": "CheckExitCode",
    }


def catch_all(on_failure: str) -> State:
    return {"ErrorEquals": ["States.ALL"], "Assign": {"failure": "{% $states.errorOutput %}"}, "Next": on_failure}


def run_states(job: Job, target: RunTarget, on_failure: str) -> dict[str, State | Task]:
    """RunJob on on-demand Fargate; with capacity="spot", first RunJobOnSpot, which falls back to
    RunJob when Spot has no capacity or takes the task back, so the run still happens."""
    on_demand = _run_task(job, target, spot=False)
    on_demand["Retry"] = [_start_retry(), *_job_retry(job, job.retries.attempts)]
    on_demand["Catch"] = [catch_all(on_failure)]
    grants = run_task_grants(target)
    states: dict[str, State | Task] = {"RunJob": Task(on_demand, grants)}
    if job.capacity == "spot":
        # No job retries here: a Spot interruption also raises States.TaskFailed, and must not spend them.
        spot = _run_task(job, target, spot=True)
        spot["Catch"] = [
            # No Spot capacity: run on demand at once, without spending the job's retries.
            {"ErrorEquals": list(ECS_START_ERRORS), "Output": "{% $states.input %}", "Next": "RunJob"},
            {
                "ErrorEquals": [TASK_FAILED],
                "Assign": {"failure": "{% $states.errorOutput %}"},
                "Output": "{% $states.input %}",
                "Next": "SpotRunFailed",
            },
            catch_all(on_failure),
        ]
        states["RunJobOnSpot"] = Task(spot, grants)
        states["SpotRunFailed"] = {
            "Type": "Choice",
            "Comment": "A run that Spot interrupted is run again on demand; a job that failed has failed.",
            "Choices": [
                {"Condition": f"{{% $contains($string($failure.Cause), '{SPOT_INTERRUPTED}') %}}", "Next": "RunJob"}
            ],
            "Default": "WaitBeforeRetry" if job.retries.attempts else on_failure,
        }
        if job.retries.attempts:
            # The job failed on Spot: that was its first run; the remaining retries run on demand.
            states["WaitBeforeRetry"] = {"Type": "Wait", "Seconds": job.retries.interval, "Next": "RetryOnDemand"}
            retry_on_demand = _run_task(job, target, spot=False)
            # The wait before RetryOnDemand was the first; the backoff goes on from there.
            second_wait = max(1, round(job.retries.interval * job.retries.backoff_rate))
            retry_on_demand["Retry"] = [_start_retry(), *_job_retry(job, job.retries.attempts - 1, second_wait)]
            retry_on_demand["Catch"] = [catch_all(on_failure)]
            states["RetryOnDemand"] = Task(retry_on_demand, grants)
    return states


def check_exit_code(on_success: str, spot: bool) -> State:
    choices = [{"Condition": "{% $states.input.exitCode = 0 %}", "Next": on_success}]
    if spot:
        # A container may exit 0 on the SIGTERM of a Spot interruption: that run did not finish.
        choices.insert(0, {"Condition": f"{{% $states.input.stopCode = '{SPOT_INTERRUPTED}' %}}", "Next": "RunJob"})
    return {
        "Type": "Choice",
        "Comment": "A run succeeded only if the job container reported exit code 0.",
        "Choices": choices,
        "Default": "ExitCodeNotZero",
    }


def exit_code_not_zero(container: str, on_failure: str) -> State:
    cause = (
        f"{{% $exists($states.input.exitCode) "
        f"? 'container {container} exited with code ' & $string($states.input.exitCode) "
        f"& ' (' & $string($states.input.stoppedReason) & ')' "
        f": 'container {container} reported no exit code; task stopped: ' & $string($states.input.stoppedReason) %}}"
    )
    return {
        "Type": "Pass",
        "Assign": {"failure": {"Error": JOB_FAILED_EXIT_CODE, "Cause": cause}},
        "Next": on_failure,
    }
