"""The job spec a user writes in `jobs/<name>.py`: a frozen, strict pydantic model."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, field_validator, model_validator

from components.aws_constants import FARGATE_CPU_MEMORY, STEP_FUNCTIONS_MAX_EXECUTION_SECONDS
from components.duration import format_duration, parse_duration
from components.schedule import Schedule, check_timezone, parse_schedule
from components.timing import execution_timeout_seconds

Duration = Annotated[int, BeforeValidator(parse_duration)]

JOB_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# ECS `valueFrom`: an SSM parameter ARN or name (same region), or a Secrets Manager secret ARN,
# optionally with ":json-key:version-stage:version-id" after the secret's name.
SSM_PARAMETER_ARN = re.compile(r"arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9_.\-/]+")
# Names must start with "/" here: a bare word is more likely a pasted secret than a parameter name.
SSM_PARAMETER_NAME = re.compile(r"(/[A-Za-z0-9_.\-]+)+")
SECRETS_MANAGER_ARN = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@\-]+(:[^:]*:[^:]*:[^:]*)?"
)
MAX_RETRY_ATTEMPTS = 10


class Retries(BaseModel):
    """How often a failed run is run again, and how long to wait in between (Step Functions Retry)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(0, ge=0, le=MAX_RETRY_ATTEMPTS, description="extra runs after a failed run")
    interval: Duration = Field(60, le=86400, description="wait before the first retry")
    backoff_rate: float = Field(2.0, ge=1.0, le=10.0, description="each wait is this many times the last")


class Job(BaseModel):
    """One scheduled job. Only `command` and `timeout` are required; see README "Job fields"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(None, description="defaults to the module's file name, '_' as '-'")
    command: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    timeout: Duration
    schedule: str | None = Field(None, description="cron(...), rate(...), an @alias, or None: manual runs")
    timezone: str = "UTC"
    retries: Retries = Retries()
    concurrency: Literal["forbid", "allow"] = "forbid"
    enabled: StrictBool = True
    image: str | None = Field(None, min_length=1)
    cpu: int = 256
    memory: int = 512
    environment: dict[str, str] = {}
    secrets: dict[str, str] = Field({}, description="env var -> SSM parameter or Secrets Manager ARN")
    description: str = Field("", max_length=256)
    tags: dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]] = {}

    @field_validator("name")
    @classmethod
    def _name_is_aws_safe(cls, name: str | None) -> str | None:
        if name is not None and not JOB_NAME.fullmatch(name):
            raise ValueError(
                f"{name!r} is not a job name: use lowercase letters, digits and single hyphens, "
                "e.g. 'nightly-report'"
            )
        return name

    @field_validator("retries", mode="before")
    @classmethod
    def _retries_shorthand(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"attempts": value}
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule_is_aws_valid(cls, value: str | None) -> str | None:
        if value is not None:
            parse_schedule(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("environment", "secrets")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not ENV_NAME.fullmatch(key):
                raise ValueError(f"{key!r} is not an environment variable name (letters, digits, '_')")
        return value

    @field_validator("secrets")
    @classmethod
    def _secret_refs(cls, value: dict[str, str]) -> dict[str, str]:
        for key, ref in value.items():
            if ref.startswith("arn:"):
                if not (SSM_PARAMETER_ARN.fullmatch(ref) or SECRETS_MANAGER_ARN.fullmatch(ref)):
                    raise ValueError(
                        f"{key}={ref!r} is neither an SSM parameter ARN nor a Secrets Manager secret ARN"
                    )
            elif not SSM_PARAMETER_NAME.fullmatch(ref):
                raise ValueError(
                    f"{key}={ref!r} is not a secret reference: give an SSM parameter name ('/app/db-password'), "
                    "an SSM parameter ARN or a Secrets Manager secret ARN; never the secret itself"
                )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Job:
        allowed = FARGATE_CPU_MEMORY.get(self.cpu)
        if allowed is None:
            raise ValueError(f"cpu={self.cpu} is not a Fargate size; allowed: {sorted(FARGATE_CPU_MEMORY)}")
        if self.memory not in allowed:
            raise ValueError(
                f"memory={self.memory} does not go with cpu={self.cpu} on Fargate; allowed: "
                f"{allowed[0]}..{allowed[-1]} in steps of {allowed[1] - allowed[0]}"
            )
        both = sorted(set(self.environment) & set(self.secrets))
        if both:
            raise ValueError(f"{', '.join(both)} set in both environment and secrets; keep each in one place")
        if self.schedule is None and "timezone" in self.model_fields_set and self.timezone != "UTC":
            raise ValueError(
                f"timezone={self.timezone!r} is set but the job has no schedule (manual runs only); "
                "add a schedule or drop the timezone"
            )
        total = self.execution_timeout
        if total > STEP_FUNCTIONS_MAX_EXECUTION_SECONDS:
            raise ValueError(
                f"timeout={format_duration(self.timeout)} with {self.retries.attempts} retries needs "
                f"{format_duration(total)} per execution; Step Functions allows at most 365d"
            )
        return self

    @property
    def parsed_schedule(self) -> Schedule | None:
        return parse_schedule(self.schedule) if self.schedule is not None else None

    @property
    def execution_timeout(self) -> int:
        return execution_timeout_seconds(
            self.timeout, self.retries.attempts, self.retries.interval, self.retries.backoff_rate
        )
