"""Numbers that AWS fixes, kept together with where they come from."""

from __future__ import annotations

from dataclasses import dataclass

# Fargate task CPU units -> allowed memory (MiB).
# Source: ECS Developer Guide, "Task CPU and memory" (Fargate, Linux; 8 and 16 vCPU need platform 1.4.0).
FARGATE_CPU_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# Source: CloudWatch Logs API, PutRetentionPolicy "retentionInDays" allowed values.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Source: Step Functions quotas: a Standard workflow execution may run for at most one year.
STEP_FUNCTIONS_MAX_EXECUTION_SECONDS = 365 * 24 * 3600

# Physical name length limits. Sources: Step Functions CreateStateMachine (name 1-80),
# IAM quotas (role name 64), EventBridge Scheduler CreateSchedule (name 1-64, group 1-64),
# ECS RegisterTaskDefinition (family 255), CloudWatch PutMetricAlarm (AlarmName 255),
# CloudWatch Logs CreateLogGroup (512), DynamoDB CreateTable (3-255), SNS CreateTopic (256),
# ECS CreateCluster (255), EventBridge PutRule (64).
NAME_LIMITS: dict[str, int] = {
    "state machine": 80,
    "IAM role": 64,
    "schedule": 64,
    "schedule group": 64,
    "task definition family": 255,
    "alarm": 255,
    "log group": 512,
    "DynamoDB table": 255,
    "SNS topic": 256,
    "ECS cluster": 255,
    "EventBridge rule": 64,
}

# Error names Step Functions raises, as the definitions match them.
# DynamoDB optimized integration: "DynamoDB.<ExceptionName>" (AWS sample app-control-concurrency-with-dynamodb;
# the AWS SDK integration spells it "DynamoDb." instead). The generic AmazonDynamoDBException covers 5xx.
DYNAMODB_CONDITION_FAILED = "DynamoDB.ConditionalCheckFailedException"
DYNAMODB_TRANSIENT_ERRORS = (
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.InternalServerError",
    "DynamoDB.AmazonDynamoDBException",
)
# ecs:runTask.sync start failures. A non-empty RunTask `Failures` list (e.g. no Fargate capacity) fails the
# state with "AmazonECS.Unknown" (Step Functions docs, connect-ecs); API errors on RunTask surface as
# "ECS.<Exception>" (not documented by AWS; seen in AWS Copilot and construct-hub state machines).
ECS_START_ERRORS = (
    "ECS.AmazonECSException",
    "ECS.ServerException",
    "ECS.ThrottlingException",
    "AmazonECS.Unknown",
)
# An essential container that exits non-zero, or a task that stops before its container ran, fails
# runTask.sync with States.TaskFailed (reported by AWS Copilot maintainers, aws/copilot-cli#3160). Whether it
# can also return such a task instead is not documented: both forms are handled (and on the self-test list).
TASK_FAILED = "States.TaskFailed"
# A state that runs past its TimeoutSeconds fails with States.Timeout (ASL spec, "Task state").
TIMEOUT = "States.Timeout"
# What an exit code above 128 says: the process was ended by signal (code - 128) (POSIX Shell Command Language,
# "Exit Status for Commands"; signal(7)). SIGKILL is what the kernel's OOM killer sends: ECS reports "Container
# killed due to memory usage" as the container's reason then (ECS developer guide, "Troubleshoot Amazon ECS
# OutOfMemoryError errors"); SIGTERM is what ECS sends first when a task is stopped (ECS developer guide, task
# definition parameters, `stopTimeout`).
EXIT_CODE_MEANINGS = {
    137: "killed (SIGKILL), likely out of memory",
    139: "crashed (SIGSEGV: a segmentation fault)",
    143: "terminated (SIGTERM): the task was stopped",
}
# A history event's `cause` is at most 32,768 characters (Step Functions API reference, TaskFailedEventDetails:
# "Length Constraints: Minimum length of 0. Maximum length of 32768"); a longer one is cut to fit.
HISTORY_CAUSE_MAX_CHARACTERS = 32768
OUT_OF_MEMORY_REASON = "OutOfMemoryError"  # ECS's container reason prefix for a container killed for its memory
# ECS Task.stopCode values (ECS API reference, Task; the SDKs' TaskStopCode enum): the task never ran the job;
# Fargate Spot took the task back.
STOP_CODE_TASK_FAILED_TO_START = "TaskFailedToStart"
STOP_CODE_SPOT_INTERRUPTION = "SpotInterruption"
# stoppedReason prefixes of tasks that stopped before their container ran (ECS developer guide, "Amazon ECS
# stopped task error messages": CannotPullContainerError, ResourceInitializationError).
STOPPED_REASONS_BEFORE_START = ("CannotPullContainerError", "ResourceInitializationError")

# AWS SDK integrations name errors "<Service>.<Exception>" in Pascal case (Step Functions docs,
# "AWS SDK service integrations"); the SDK's class name carries "Exception", the API's does not.
SFN_EXECUTION_DOES_NOT_EXIST = ("Sfn.ExecutionDoesNotExistException", "Sfn.ExecutionDoesNotExist")

# Tags on every resource we create. Source: "Tagging AWS resources" user guide (Tagging AWS Resources and Tag
# Editor), "Tag naming limits and requirements": at most 50 user tags per resource, keys of 1-128 and values of
# 0-256 Unicode characters; keys starting with "aws:" (in any case) are reserved for AWS and refused.
MAX_TAGS_PER_RESOURCE = 50
TAG_KEY_MAX_LENGTH = 128
TAG_VALUE_MAX_LENGTH = 256
RESERVED_TAG_PREFIX = "aws:"

# Source: EventBridge Scheduler API reference, FlexibleTimeWindow: MaximumWindowInMinutes 1 to 1440; the target
# is invoked "within the time window you set", after the scheduled time (Scheduler user guide, "Configuring
# flexible time windows").
SCHEDULER_MAX_FLEXIBLE_WINDOW_MINUTES = 1440

# Source: ECS developer guide, "AWS Fargate throttling quotas": Fargate launches up to 100 tasks at once
# (burst), then 20 per second; RunTask on Fargate is 20 calls per second. Shared by the whole account and region.
FARGATE_TASK_LAUNCH_BURST = 100
FARGATE_TASK_LAUNCH_RATE_PER_SECOND = 20


# Default quotas of what a stack creates, per account (and region, unless `global`), as AWS documents them;
# None where AWS documents no limit. Each source is the AWS page that gives the figure.
@dataclass(frozen=True)
class Quota:
    default: int | None
    scope: str  # "account" (all regions) or "region"
    source: str


DEFAULT_QUOTAS: dict[str, Quota] = {
    "IAM roles": Quota(1000, "account", 'IAM user guide, "IAM and AWS STS quotas" (adjustable to 5,000)'),
    "state machines": Quota(100_000, "region", 'Step Functions developer guide, "Step Functions service quotas"'),
    "schedules": Quota(10_000_000, "region", 'EventBridge Scheduler user guide, "Quotas for EventBridge Scheduler"'),
    "schedule groups": Quota(500, "account", 'EventBridge Scheduler user guide, "Managing a schedule group"'),
    "CloudWatch alarms": Quota(None, "region", 'CloudWatch user guide, "CloudWatch service quotas": no limit'),
    "log groups": Quota(1_000_000, "region", 'CloudWatch Logs user guide, "CloudWatch Logs quotas"'),
    "task definition families": Quota(None, "region", 'ECS developer guide, "Amazon ECS service quotas": none listed'),
    "EventBridge rules": Quota(300, "region", 'EventBridge user guide, "Amazon EventBridge quotas": 300 per event bus'),
    "dashboards": Quota(None, "account", "CloudWatch: no default number found in AWS's documentation"),
    "DynamoDB tables": Quota(2500, "region", 'DynamoDB developer guide, "Quotas in Amazon DynamoDB"'),
}

# Source: SQS API reference, SetQueueAttributes: MessageRetentionPeriod is 60 to 1,209,600 seconds (14 days).
SQS_MAX_MESSAGE_RETENTION_SECONDS = 14 * 86400

# Source: ECS Developer Guide, "Amazon ECS service quotas": task definition max size 64 KiB (not adjustable).
TASK_DEFINITION_MAX_BYTES = 64 * 1024

# GitHub Actions as an IAM OIDC identity provider. Sources: IAM user guide, "Create a role for OpenID Connect
# federation" (GitHub section; the provider's condition keys are `token.actions.githubusercontent.com:aud` and
# `:sub`), and GitHub docs, "Configuring OpenID Connect in Amazon Web Services" (provider URL
# https://token.actions.githubusercontent.com; audience `sts.amazonaws.com` with the official action,
# aws-actions/configure-aws-credentials).
GITHUB_OIDC_PROVIDER = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"

# A Fargate task's ephemeral storage: 20 GiB by default, `ephemeralStorage.sizeInGiB` from 21 to 200 (ECS
# developer guide, "Fargate task ephemeral storage"; RegisterTaskDefinition, EphemeralStorage).
FARGATE_EPHEMERAL_STORAGE_GIB = (21, 200)
# Environment variable names Security Hub's ECS.8 ("Secrets should not be passed as container environment
# variables") looks for in a task definition's `environment`: they carry credentials, which belong in `secrets`.
CREDENTIAL_ENVIRONMENT_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA")

# The Security Hub controls plan.py evaluates (components/documents/security_controls.py, each with its page):
# a finding of one may be accepted with a reason (acceptedFindings, accepted_findings).
SECURITY_HUB_CONTROLS = (
    "DynamoDB.2",
    "DynamoDB.6",
    "ECS.5",
    "ECS.8",
    "ECS.9",
    "ECS.12",
    "ECS.20",
    "KMS.4",
    "SNS.1",
    "SNS.2",
    "SQS.1",
    "StepFunctions.1",
    "CloudWatch.16",
)


# The size limits of the documents a stack deploys, each with the AWS page that states it; `unit` says how the
# size is counted (components/documents/limits.py measures each document that way). docs/limits.md has the table
# of every document whose size grows with the fleet, and how.
@dataclass(frozen=True)
class DocumentLimit:
    limit: int
    unit: str  # "characters" (IAM: white space aside; EventBridge: as sent), "bytes" (UTF-8) or "widgets"
    source: str


_IAM_QUOTAS = 'IAM user guide, "IAM and AWS STS quotas"'
DOCUMENT_LIMITS: dict[str, DocumentLimit] = {
    # "Role policy size cannot exceed 10,240 characters": the sum of a role's inline policies, not adjustable.
    "role inline policies": DocumentLimit(10_240, "characters", f"{_IAM_QUOTAS}: the sum of a role's inline policies"),
    "managed policy": DocumentLimit(6_144, "characters", f"{_IAM_QUOTAS}: each managed policy"),
    "role trust policy": DocumentLimit(2_048, "characters", f"{_IAM_QUOTAS}: role trust policy (adjustable to 4,096)"),
    "state machine definition": DocumentLimit(
        1_048_576, "bytes", 'Step Functions developer guide, "Step Functions service quotas": 1 MB, a hard quota'
    ),
    "event pattern": DocumentLimit(
        2_048, "characters", 'EventBridge user guide, "Amazon EventBridge quotas" (adjustable to 4,096)'
    ),
    # A key policy "can be up to 32 kilobytes (32,768 bytes)" (KMS developer guide, "Key policy format"); the
    # statements the owner of a named key adds count toward their key's policy.
    "key policy": DocumentLimit(32_768, "bytes", 'KMS developer guide, "Creating a key policy": key policy format'),
    "dashboard widgets": DocumentLimit(
        500, "widgets", 'CloudWatch API reference, "Dashboard Body Structure and Syntax": 0 to 500 widgets'
    ),
}
