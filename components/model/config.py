"""The stack config (`Pulumi.<stack>.yaml`), validated as strictly as the job modules."""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import importlib.util
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.model.aws_constants import LOG_RETENTION_DAYS
from components.model.duration import Duration
from components.model.errors import FieldError
from components.model.image import ImageRef
from components.model.permissions import Permission
from components.model.spec import Job
from components.model.tags import Tags, shared_tags, too_many_tags

SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8}([0-9a-f]{9})?")
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-f]{8}([0-9a-f]{9})?")
CLUSTER_ARN = re.compile(r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]{1,255}")
TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")
# A KMS key ARN (a single- or multi-Region key), not an alias: a policy controls the use of a key through the
# key's ARN in Resource, or its aliases only through the kms:ResourceAliases condition (KMS developer guide,
# "Use aliases to control access to KMS keys"), so a grant on an alias ARN would not allow encrypting.
KMS_KEY_ARN = re.compile(
    r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/([0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d")
NAME_PREFIX = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
# OWNER/REPO as GitHub's OIDC subject spells it (`repo:OWNER/REPO:...`), or its immutable form
# OWNER@OWNER-ID/REPO@REPO-ID ("OpenID Connect reference", GitHub docs: `@` cannot appear in names). What the
# pattern refuses cannot be a name in a subject: a URL, a `repo:` prefix, a wildcard, a colon, a space.
GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9_-]+/[A-Za-z0-9._-]+|[A-Za-z0-9_-]+@\d+/[A-Za-z0-9._-]+@\d+")


def _matching(pattern: re.Pattern[str], what: str, example: str) -> Any:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise FieldError("", f"{value!r} is not {what}, e.g. {example!r}", value)
        return value

    return check


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region of every partition in the partition data botocore ships (`botocore/data/endpoints.json`),
    read without importing botocore; empty when botocore is not installed (then only the pattern applies)."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "endpoints.json"
    partitions = json.loads(path.read_text()).get("partitions", [])
    return frozenset(region for partition in partitions for region in partition.get("regions", {}))


def _botocore_version() -> str:
    try:
        return importlib.metadata.version("botocore")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class JobOverride(_Strict):
    """Per-stack changes to one job, so dev can run it hourly while prod runs it nightly."""

    enabled: StrictBool | None = None
    schedule: str | None = None
    timezone: str | None = None
    cpu: int | None = None
    memory: int | None = None
    image: ImageRef | None = None
    capacity: Literal["on-demand", "spot"] | None = None
    jitter: Duration | None = None
    # Replaces the job's own list: a stack's buckets and queues are often its own.
    permissions: list[Permission] | None = None

    def as_update(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, by_alias=False)


class StackConfig(_Strict):
    """Everything per environment; keys are `scheduled-jobs:<camelCaseName>` in Pulumi.<stack>.yaml."""

    # `examples` end the message a user gets for a missing or mistyped setting.
    region: str = Field(examples=["eu-central-1"])
    name_prefix: str = Field(min_length=1, max_length=24, examples=["prod"])
    image: ImageRef = Field(examples=["123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:1.0"])
    subnets: list[str] = Field(min_length=1, examples=[["subnet-0123456789abcdef0"]])
    security_groups: list[str] = Field(min_length=1, examples=[["sg-0123456789abcdef0"]])
    assign_public_ip: StrictBool = False
    cluster_arn: str | None = None
    alarm_emails: list[str] = Field([], examples=[["oncall@example.com"]])
    alarm_topic_arn: str | None = None
    # The KMS key the alert topic is encrypted with (SSE-KMS): that of the topic alarmTopicArn names, or one to
    # encrypt the stack's own topic with. Every publisher needs kms:GenerateDataKey*/kms:Decrypt on it
    # (components/documents/topic_key.py), and the key's policy must let CloudWatch use it.
    alarm_topic_kms_key_arn: str | None = Field(
        None, examples=["arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
    )
    # The stack's own topic encrypted with a customer managed key the stack creates (Security Hub SNS.1).
    encrypt_alarm_topic: StrictBool = False
    log_retention_days: int = Field(30, examples=[30])
    # Default jitter of scheduled jobs that do not choose one (a job's own `jitter`, None too, wins).
    jitter: Duration | None = Field(None, examples=["5m"])
    # Default capacity of jobs that do not choose one; a job's own `capacity` wins.
    capacity: Literal["on-demand", "spot"] | None = None
    # Defaults of the jobs that do not set their own (docs/security.md, "Security Hub controls"): the container's
    # user (ECS.20), a read-only root filesystem with the job's scratch paths writable (ECS.5), and the GiB of
    # ephemeral storage. Checked as the job's own fields are, naming this setting.
    user: str | None = Field(None, examples=["1000"])
    read_only_root_filesystem: StrictBool | None = None
    ephemeral_storage: int | None = Field(None, examples=[50])
    # Container Insights on the cluster the stack creates (Security Hub ECS.12): "enabled", "enhanced" (more
    # metrics, more cost) or "disabled"; billed as CloudWatch custom metrics and logs (docs/security.md).
    container_insights: Literal["enabled", "enhanced", "disabled"] = "enabled"
    # Security Hub control id -> why the stack accepts its findings (every job's too); plan.py repeats it.
    accepted_findings: dict[str, str] = Field({}, examples=[{"SNS.2": "e-mail subscriptions only"}])
    # Adds the self-test canaries that `jobctl selftest` runs (components/model/self_test.py).
    self_test: StrictBool = False
    # Starts EventBridge Scheduler could not deliver go to an SQS queue (with an alarm), not nowhere.
    schedule_dead_letter_queue: StrictBool = True
    tags: Tags = Field({}, examples=[{"team": "platform"}])
    # The GitHub repository whose workflow previews and deploys this stack: the subject of the CI roles' trust
    # policies (docs/ci.md). Absent: plan.py renders no trust policies for them.
    github_repository: str | None = Field(None, examples=["octo-org/scheduled-jobs"])
    jobs: dict[str, JobOverride] = Field({}, examples=[{"nightly-report": {"schedule": "@hourly"}}])

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        _matching(REGION, "an AWS region", "eu-central-1")(value)
        known = known_regions()
        if known and value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.8)
            hint = f"did you mean {close[0]!r}?" if close else "e.g. 'eu-central-1'"
            raise FieldError(
                "",
                f"{value!r} is not an AWS region known to botocore {_botocore_version()}; {hint} (a region newer "
                "than that: upgrade boto3)",
                value,
            )
        return value

    @field_validator("name_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return str(_matching(NAME_PREFIX, "a name prefix (lowercase letters, digits, hyphens)", "prod")(value))

    @field_validator("subnets")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        return [_matching(SUBNET_ID, "a subnet id", "subnet-0123456789abcdef0")(v) for v in value]

    @field_validator("security_groups")
    @classmethod
    def _security_groups(cls, value: list[str]) -> list[str]:
        return [_matching(SECURITY_GROUP_ID, "a security group id", "sg-0123456789abcdef0")(v) for v in value]

    @field_validator("cluster_arn")
    @classmethod
    def _cluster(cls, value: str | None) -> str | None:
        if value is None:
            return None
        example = "arn:aws:ecs:eu-central-1:123456789012:cluster/jobs"
        return str(_matching(CLUSTER_ARN, "an ECS cluster ARN", example)(value))

    @field_validator("alarm_topic_arn")
    @classmethod
    def _topic(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return str(_matching(TOPIC_ARN, "an SNS topic ARN", "arn:aws:sns:eu-central-1:123456789012:alarms")(value))

    @field_validator("alarm_topic_kms_key_arn")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        if value is None or KMS_KEY_ARN.fullmatch(value):
            return value
        if value.endswith("alias/aws/sns"):
            # AWS managed keys' policies cannot be changed, so CloudWatch can never use aws/sns (SNS developer
            # guide, "Key management": "Enable compatibility between event sources from AWS services and
            # encrypted topics" needs a customer managed key).
            raise FieldError(
                "",
                "is the AWS managed key of SNS: CloudWatch alarms cannot publish to a topic encrypted with it, "
                "since its key policy cannot be changed; encrypt the topic with a customer managed key and name "
                "that key's ARN",
                value,
            )
        example = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        what = "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; an alias or a bare key id does not name the key"
        raise FieldError("", f"{value!r} is not {what} in an IAM policy), e.g. {example!r}", value)

    @field_validator("user")
    @classmethod
    def _user(cls, value: str | None) -> str | None:
        return Job.check_user(value)

    @field_validator("accepted_findings")
    @classmethod
    def _accepted(cls, value: dict[str, str]) -> dict[str, str]:
        return Job.check_accepted_findings(value)

    @field_validator("ephemeral_storage")
    @classmethod
    def _ephemeral_storage(cls, value: int | None) -> int | None:
        return Job.check_ephemeral_storage(value)

    @field_validator("github_repository")
    @classmethod
    def _repository(cls, value: str | None) -> str | None:
        if value is None or GITHUB_REPOSITORY.fullmatch(value):
            return value
        allowed = (
            "a GitHub repository as OWNER/REPO (letters, digits, '-' and '_'; REPO also '.') or GitHub's immutable "
            "form OWNER@OWNER-ID/REPO@REPO-ID"
        )
        raise FieldError("", f"{value!r} is not {allowed}, e.g. 'octo-org/scheduled-jobs'", value)

    @field_validator("alarm_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        return [_matching(EMAIL, "an e-mail address", "oncall@example.com")(v) for v in value]

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
            raise FieldError("", f"{value} days is not a retention CloudWatch Logs accepts; allowed: {allowed}", value)
        return value

    @model_validator(mode="after")
    def _region_matches_arns(self) -> StackConfig:
        for key, arn in (("clusterArn", self.cluster_arn), ("alarmTopicArn", self.alarm_topic_arn)):
            if arn is not None and arn.split(":")[3] != self.region:
                raise FieldError(
                    key, f"is in {arn.split(':')[3]}, but the stack deploys to {self.region} (aws:region)", arn
                )
        if self.alarm_topic_arn and self.alarm_emails:
            # Subscribing them on another team's topic would need each address to confirm again, and alerts
            # would stop reaching them until then (SNS developer guide: an e-mail subscription is pending until
            # confirmed).
            raise FieldError(
                "alarmEmails",
                "set together with alarmTopicArn: alerts then go to that topic, whose subscriptions its owner "
                "manages; subscribe these addresses there (each must confirm), and drop alarmEmails here",
                ", ".join(self.alarm_emails),
            )
        if self.encrypt_alarm_topic and self.alarm_topic_arn:
            raise FieldError(
                "encryptAlarmTopic",
                "set together with alarmTopicArn: that topic and its encryption are its owner's; name the key it is "
                "encrypted with in alarmTopicKmsKeyArn instead",
                "true",
            )
        if self.encrypt_alarm_topic and self.alarm_topic_kms_key_arn:
            raise FieldError(
                "encryptAlarmTopic",
                "set together with alarmTopicKmsKeyArn: the stack's topic is then encrypted with that key; drop one",
                "true",
            )
        shared = "with ours (scheduled-jobs:stack) the shared resources"
        too_many = too_many_tags(shared_tags(self.tags, "stack"), shared)
        if too_many is not None:
            raise FieldError("tags", f"{len(self.tags)} tags; {too_many}")
        return self

    @property
    def cluster_name(self) -> str | None:
        return self.cluster_arn.rsplit("/", 1)[1] if self.cluster_arn else None


def config_from_values(values: dict[str, Any], project: str, stack: str) -> dict[str, Any]:
    """Turn `project:key` config values (from Pulumi or from the YAML file) into StackConfig input.

    Pulumi hands structured values over as JSON strings; the YAML file gives them parsed."""
    data: dict[str, Any] = {}
    for key, value in values.items():
        # A key without a namespace belongs to the project (Pulumi's rule for the stack file).
        namespace, _, name = key.partition(":") if ":" in key else (project, ":", key)
        if key == "aws:region":
            data["region"] = value
        elif namespace == project:
            data[name] = _decode(value)
    return data


def _decode(value: Any) -> Any:
    # Pulumi passes a YAML `false` as the string "false"; without this a StrictBool setting would fail.
    if value in ("true", "false"):
        return value == "true"
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
