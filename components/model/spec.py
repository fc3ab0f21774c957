"""The job spec a user writes in `jobs/<name>.py`: a frozen, strict pydantic model."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationInfo, field_validator, model_validator

from components.model.aws_constants import (
    CREDENTIAL_ENVIRONMENT_NAMES,
    FARGATE_CPU_MEMORY,
    FARGATE_EPHEMERAL_STORAGE_GIB,
    SCHEDULER_MAX_FLEXIBLE_WINDOW_MINUTES,
    SECURITY_HUB_CONTROLS,
    STEP_FUNCTIONS_MAX_EXECUTION_SECONDS,
)
from components.model.duration import Duration, format_duration
from components.model.errors import HIDDEN, FieldError
from components.model.image import ImageRef
from components.model.permissions import Permission, fits_inline, task_role_policy
from components.model.run_context import RUN_CONTEXT_VARIABLES
from components.model.run_inputs import InputRule, RunInput, refused_name, run_input
from components.model.schedule import Schedule, check_timezone, never_runs_reason, parse_schedule
from components.model.tags import Tags
from components.model.task_size import check_task_size
from components.model.timing import START_RETRY_ATTEMPTS, execution_timeout_seconds, total_attempts

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
# ECS `user`: "user", "user:group", "uid", "uid:gid" and the mixed forms (ContainerDefinition, user).
CONTAINER_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?")
ROOT_USERS = ("root", "0")
SCRATCH_PATH = re.compile(r"(/[A-Za-z0-9_.-]+)+")
MIN_REASON_WORDS = 3


def _check_env_name(key: str) -> None:
    """A container variable's name a job may set (in `environment`, `secrets` or `inputs`); FieldError if not."""
    if not ENV_NAME.fullmatch(key):
        raise FieldError(key, "not an environment variable name: use letters, digits and '_', no digit first")
    if key in RUN_CONTEXT_VARIABLES:
        raise FieldError(
            key, f"set by every run for the run itself ({', '.join(RUN_CONTEXT_VARIABLES)}); choose another name"
        )


class Retries(BaseModel):
    """How often a failed run is run again, and how long to wait in between (Step Functions Retry)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(0, ge=0, le=MAX_RETRY_ATTEMPTS, description="extra runs after a failed run")
    interval: Duration = Field(60, le=86400, description="wait before the first retry")
    backoff_rate: float = Field(2.0, ge=1.0, le=10.0, description="each wait is this many times the last")


class FailureAlerts(BaseModel):
    """When a failing job alerts: first after `after` consecutive failed runs, then again every `again_every`
    more failures, or when `again_after` has passed since the last alert while it still fails; its first
    success after an alert sends "recovered" (the model of Healthchecks.io and Sentry Crons)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    after: int = Field(1, ge=1, le=100, description="consecutive failed runs before the first alert")
    again_every: int | None = Field(None, ge=1, le=1000, description="alert again every N more failed runs")
    # 20h: a daily job that keeps failing alerts once a day, whatever the minutes its runs take.
    again_after: Duration = Field(72000, description="alert again after this long while still failing")


class Job(BaseModel):
    """One scheduled job. Only `timeout` is required; see docs/jobs.md."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # `examples` end the message a user gets for a missing or mistyped field.
    name: str | None = Field(
        None, description="defaults to the module's file name, '_' as '-'", examples=["nightly-report"]
    )
    # None: the image's own CMD (ECS runs it when neither the container definition nor the run's overrides give a
    # command: ECS developer guide, task definition parameters, `command`), as Kubernetes' `args` and Copilot's
    # `command` may be left out.
    command: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, min_length=1, examples=[["python", "-m", "app.tasks.nightly_report"]]
    )
    # None: the image's own ENTRYPOINT (ECS `entryPoint`, Kubernetes' `command`, Copilot's `entrypoint`).
    entrypoint: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, min_length=1, examples=[["/bin/sh", "-c"]]
    )
    timeout: Duration = Field(examples=["30m"])
    schedule: str | None = Field(
        None, description="cron(...), rate(...), an @alias, or None: manual runs", examples=["cron(0 6 * * ? *)"]
    )
    timezone: str = Field("UTC", examples=["Europe/Berlin"])
    retries: Retries = Field(Retries(), examples=[2])
    concurrency: Literal["forbid", "replace", "allow"] = "forbid"
    capacity: Literal["on-demand", "spot"] = "on-demand"
    enabled: StrictBool = True
    image: ImageRef | None = Field(None, examples=["123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:1.0"])
    cpu: int = Field(256, examples=[512])
    memory: int = Field(512, examples=[1024])
    environment: dict[str, str] = Field({}, examples=[{"MODE": "full"}])
    inputs: dict[str, str | list[str] | None] = Field(
        {}, examples=[["REPORT_DAY"], {"MODE": ["full", "delta"], "REPORT_DAY": r"\d{4}-\d{2}-\d{2}"}]
    )  # components/model/run_inputs.py: the variables a run may be given, and their values
    secrets: dict[str, str] = Field(
        {}, description="env var -> SSM parameter or Secrets Manager ARN", examples=[{"DB_PASSWORD": "/app/db/pw"}]
    )
    permissions: list[Permission] = Field(
        [], examples=[[{"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::reports-bucket/*"]}]]
    )
    # Start up to this long after the slot, at a time EventBridge Scheduler picks (its flexible time window,
    # whole minutes up to 24h), to spread the top of the hour; SCHEDULED_TIME stays the slot. None: on the slot.
    jitter: Duration | None = Field(None, examples=["5m"])
    # A scheduled slot whose run has not started this long after the slot alerts as late (None: never).
    late_after: Duration | None = Field(300, examples=["5m"])
    # A run still running this long after its slot alerts once, well before the hard timeout (None: never).
    warn_after: Duration | None = Field(None, examples=["45m"])
    # A slot with no success or failure this long after it alerts as missed (None: once its execution's longest
    # time and 15 minutes' grace have passed; components/model/deadlines.py).
    missed_after: Duration | None = Field(None, examples=["2h"])
    failure_alerts: FailureAlerts = Field(FailureAlerts(), examples=[{"after": 2, "again_after": "1d"}])
    # The names this job was deployed under before (a renamed module or `name=`): its Pulumi resources carry
    # aliases to them, and the plan names the `jobctl rename` step that moves its state
    # (docs/changing-a-deployed-stack.md).
    former_names: list[str] = Field([], examples=[["nightly-usage-report"]])
    description: str = Field("", max_length=256)
    tags: Tags = Field({}, examples=[{"team": "data"}])
    # The container's user, non-root (Security Hub ECS.20). None: the image's own USER (root if it sets none).
    user: str | None = Field(None, examples=["1000"])
    # The container's root filesystem read-only (Security Hub ECS.5), with `scratch_paths` writable: bind mounts
    # on the task's ephemeral storage (ECS developer guide, "Bind mounts" for Fargate). None: writable.
    read_only_root_filesystem: StrictBool | None = None
    scratch_paths: list[str] = Field(["/tmp"], examples=[["/tmp", "/app/cache"]])
    # GiB of the task's ephemeral storage (Fargate: 20 by default, 21 to 200 when set). None: Fargate's 20.
    ephemeral_storage: int | None = Field(None, examples=[50])
    # Security Hub control id -> why this job's finding of it is accepted; plan.py repeats the reason.
    accepted_findings: dict[str, str] = Field({}, examples=[{"ECS.5": "writes its report next to the binary"}])

    @field_validator("name")
    @classmethod
    def _name_is_aws_safe(cls, name: str | None) -> str | None:
        if name is not None and not JOB_NAME.fullmatch(name):
            raise ValueError(
                f"{name!r} is not a job name: use lowercase letters, digits and single hyphens, e.g. 'nightly-report'"
            )
        return name

    @field_validator("command", "entrypoint", mode="before")
    @classmethod
    def _not_empty(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, (list, tuple)) and not value:
            default = "CMD" if info.field_name == "command" else "ENTRYPOINT"
            raise ValueError(
                f"empty: leave {info.field_name} out to run the image's own {default}, or give the program and its "
                "arguments, e.g. ['python', '-m', 'app.report']"
            )
        return value

    @field_validator("former_names")
    @classmethod
    def _former_names_are_job_names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not JOB_NAME.fullmatch(name):
                raise ValueError(
                    f"{name!r} is not a job name: give the name the job was deployed under, e.g. 'nightly-report'"
                )
        if len(set(names)) != len(names):
            raise ValueError(f"{names!r} names a former name twice")
        return names

    @field_validator("retries", mode="before")
    @classmethod
    def _retries_shorthand(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"attempts": value}
        if not isinstance(value, (dict, Retries)):
            raise ValueError(
                "give a number of retries, e.g. 2, or a dict such as "
                "{'attempts': 2, 'interval': '5m', 'backoff_rate': 2.0}"
            )
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
            _check_env_name(key)
        return value

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs_as_rules(cls, value: Any) -> Any:
        """A list of names is a dict of each name to None (any value)."""
        if isinstance(value, list | tuple):
            names = list(value)
            if len(set(map(str, names))) != len(names):
                raise FieldError("", f"{names!r} names an input twice", names)
            return dict.fromkeys(names)
        return value

    @field_validator("inputs")
    @classmethod
    def _inputs_allowed(cls, value: dict[str, InputRule]) -> dict[str, InputRule]:
        for name, rule in value.items():
            _check_env_name(name)
            if refused := refused_name(name):
                pattern, reader, source = refused
                raise FieldError(
                    name,
                    f"cannot be a run input: {pattern} is read by {reader} ({source}), so whoever starts a run "
                    "would choose what code runs or where its AWS calls go; pass the setting under a name of "
                    "your own and let the job read it (components/model/run_inputs.py lists these names)",
                    name,
                )
            try:
                run_input(name, rule)
            except ValueError as error:
                raise FieldError(name, str(error), rule) from None
        return value

    @property
    def run_inputs(self) -> tuple[RunInput, ...]:
        """The declared inputs (`inputs`), in the order given."""
        return tuple(run_input(name, rule) for name, rule in self.inputs.items())

    @field_validator("environment")
    @classmethod
    def _no_credentials(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key in CREDENTIAL_ENVIRONMENT_NAMES:
                # Not echoed: the value is a credential. ECS.8 flags these names in `environment`.
                raise FieldError(
                    key,
                    "is a credential, and an environment value is readable by anyone who may describe the task "
                    "definition (Security Hub ECS.8); give the job AWS access with `permissions` (its own task "
                    f"role), or pass the value as a secret: secrets={{{key!r}: '/app/{key.lower()}'}} (an SSM "
                    "parameter or Secrets Manager ARN)",
                    HIDDEN,
                )
        return value

    @field_validator("accepted_findings")
    @classmethod
    def _accepted(cls, value: dict[str, str]) -> dict[str, str]:
        return cls.check_accepted_findings(value)

    @staticmethod
    def check_accepted_findings(value: dict[str, str]) -> dict[str, str]:
        """Known control ids, each with a reason someone can read; the job's field and the stack's share it."""
        for control, reason in value.items():
            if control not in SECURITY_HUB_CONTROLS:
                raise FieldError(
                    control, f"is not a control the plan evaluates; allowed: {', '.join(SECURITY_HUB_CONTROLS)}"
                )
            if len(reason.split()) < MIN_REASON_WORDS:
                raise FieldError(
                    control,
                    f"an accepted finding needs a written reason of at least {MIN_REASON_WORDS} words, which the "
                    "plan repeats to whoever reviews it",
                    reason,
                )
        return value

    @field_validator("user")
    @classmethod
    def _non_root(cls, value: str | None) -> str | None:
        return cls.check_user(value)

    @staticmethod
    def check_user(value: str | None) -> str | None:
        """A non-root container user, or None; the job's field and the stack's default share it."""
        if value is None:
            return None
        if not CONTAINER_USER.fullmatch(value):
            raise FieldError("", "is not a container user: give 'user', 'uid', 'user:group' or 'uid:gid'", value)
        if value.split(":")[0] in ROOT_USERS:
            raise FieldError(
                "", "runs the container as root (Security Hub ECS.20); give a non-root user such as '1000'", value
            )
        return value

    @field_validator("scratch_paths")
    @classmethod
    def _scratch(cls, value: list[str]) -> list[str]:
        for path in value:
            if not SCRATCH_PATH.fullmatch(path):
                raise FieldError("", f"{path!r} is not an absolute container path such as '/tmp'", path)
        if len(set(value)) != len(value):
            raise FieldError("", "names a path twice", ", ".join(value))
        return value

    @field_validator("ephemeral_storage")
    @classmethod
    def _storage(cls, value: int | None) -> int | None:
        return cls.check_ephemeral_storage(value)

    @staticmethod
    def check_ephemeral_storage(value: int | None) -> int | None:
        """GiB Fargate accepts, or None; the job's field and the stack's default share it."""
        low, high = FARGATE_EPHEMERAL_STORAGE_GIB
        if value is not None and not low <= value <= high:
            raise FieldError("", f"{value} GiB: Fargate allows {low} to {high} GiB (20 GiB without the setting)", value)
        return value

    @field_validator("secrets")
    @classmethod
    def _secret_refs(cls, value: dict[str, str]) -> dict[str, str]:
        for key, ref in value.items():
            if ref.startswith("arn:"):
                if not (SSM_PARAMETER_ARN.fullmatch(ref) or SECRETS_MANAGER_ARN.fullmatch(ref)):
                    raise FieldError(
                        key,
                        f"{ref!r} is neither an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME) "
                        "nor a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)",
                    )
            elif not SSM_PARAMETER_NAME.fullmatch(ref):
                # Not echoed: a value that is no reference may be the secret itself, pasted in.
                raise FieldError(
                    key,
                    "is not a secret reference (value not shown, in case it is the secret itself): give an SSM "
                    "parameter name such as '/app/db-password', an SSM parameter ARN or a Secrets Manager secret ARN",
                    HIDDEN,
                )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Job:
        schedule = self.parsed_schedule
        if schedule is not None and (reason := never_runs_reason(schedule, self.timezone, datetime.now(UTC))):
            raise FieldError("schedule", reason, self.schedule)
        allowed = FARGATE_CPU_MEMORY.get(self.cpu)
        if allowed is None:
            sizes = ", ".join(map(str, FARGATE_CPU_MEMORY))
            # Both values of the pair at once: the cpu sizes that offer the memory given, or that none does.
            takers = [str(cpu) for cpu, memories in FARGATE_CPU_MEMORY.items() if self.memory in memories]
            memory = (
                f"memory={self.memory} goes with cpu {', '.join(takers)}"
                if takers
                else f"memory={self.memory} MiB is not offered with any cpu either"
            )
            raise FieldError("cpu", f"not a Fargate cpu size; allowed: {sizes} (1024 = 1 vCPU); {memory}", self.cpu)
        if self.memory not in allowed:
            steps = (
                ", ".join(map(str, allowed))
                if len(allowed) <= 4
                else (f"{allowed[0]} to {allowed[-1]} in steps of {allowed[1] - allowed[0]}")
            )
            default = "" if "memory" in self.model_fields_set else " (the default)"
            message = f"Fargate has no {self.memory} MiB{default} with cpu={self.cpu}; allowed: {steps}"
            raise FieldError("memory", message, self.memory)
        if secret_inputs := sorted(set(self.inputs) & set(self.secrets)):
            raise FieldError(
                "inputs",
                f"{', '.join(secret_inputs)} is a secret of the job: a run input of the same name would replace "
                "the secret's value; pass the setting under another name",
                secret_inputs,
            )
        both = sorted(set(self.environment) & set(self.secrets))
        if both:
            field, names = (f"secrets.{both[0]}", "") if len(both) == 1 else ("secrets", ", ".join(both) + " ")
            raise FieldError(field, f"{names}also set in environment; set each variable in one place")
        self._check_jitter()
        for field in ("late_after", "warn_after", "missed_after"):
            if self.schedule is None and getattr(self, field) is not None and field in self.model_fields_set:
                raise FieldError(
                    field, "set, but the job has no schedule (manual runs only): there is no slot to be late for"
                )
        if self.warn_after is not None and self.warn_after >= self.timeout:
            raise FieldError(
                "warn_after",
                f"{format_duration(self.warn_after)} is not before the timeout ({format_duration(self.timeout)}): "
                "a long-run warning must come before the run is stopped",
                format_duration(self.warn_after),
            )
        self._check_missed_after()
        if self.schedule is None and "timezone" in self.model_fields_set and self.timezone != "UTC":
            raise FieldError(
                "timezone",
                "set, but the job has no schedule (manual runs only); add a schedule or drop the timezone",
                self.timezone,
            )
        check_task_size([*(self.entrypoint or []), *(self.command or [])], self.environment, self.secrets)
        policy = task_role_policy(self.permissions)
        if policy is not None and not fits_inline(policy):
            raise FieldError(
                "permissions",
                "too long for the task role's inline policy (IAM allows 10,240 characters per role): "
                "use wildcards such as 'arn:aws:s3:::reports-bucket/*' or fewer statements",
            )
        total = self.execution_timeout
        if total > STEP_FUNCTIONS_MAX_EXECUTION_SECONDS:
            attempts = total_attempts(self.retries.attempts, self.capacity == "spot")
            spot = " and the run on Spot" if self.capacity == "spot" else ""
            timeout = format_duration(self.timeout)
            raise FieldError(
                "timeout",
                f"{timeout} with {self.retries.attempts} retries needs up to {format_duration(total)} per execution "
                f"({attempts} attempts of up to {timeout}: the run, its retries, {START_RETRY_ATTEMPTS} start "
                f"retries{spot}; and the waits); Step Functions allows at most 365d per execution: shorten the "
                "timeout or retry less",
                format_duration(self.timeout),
            )
        return self

    def _check_missed_after(self) -> None:
        """`missed_after` comes after the late and long-run alerts it follows, and within the slot watch's year."""
        missed = self.missed_after
        if missed is None:
            return
        shown = format_duration(missed)
        for field in ("late_after", "warn_after"):
            before = getattr(self, field)
            if before is not None and missed <= before:
                raise FieldError(
                    "missed_after",
                    f"{shown} is not after {field} ({format_duration(before)}): a slot is missed only after it was "
                    f"late or ran long; allowed: a duration longer than {format_duration(before)}",
                    shown,
                )
        # The slot watch is one Standard execution per slot: at most 365 days, with an hour to send its alert.
        longest = STEP_FUNCTIONS_MAX_EXECUTION_SECONDS - 3600 - (self.jitter or 0)
        if missed > longest:
            raise FieldError(
                "missed_after",
                f"{shown} is longer than the slot watch can wait (one Step Functions execution: 365d at most); "
                f"allowed: up to {format_duration(longest)}",
                shown,
            )

    def _check_jitter(self) -> None:
        jitter = self.jitter
        if jitter is None:
            return
        shown = format_duration(jitter)
        if self.schedule is None:
            raise FieldError("jitter", "set, but the job has no schedule (manual runs only): nothing to spread", shown)
        if jitter % 60 or jitter // 60 > SCHEDULER_MAX_FLEXIBLE_WINDOW_MINUTES:
            raise FieldError(
                "jitter",
                f"{shown}: allowed: whole minutes from 1m to 24h (EventBridge Scheduler's flexible time window)",
                shown,
            )
        rate = self.parsed_schedule.rate_seconds if self.parsed_schedule else None
        if rate is not None and jitter >= rate:
            raise FieldError(
                "jitter",
                f"{shown} is not shorter than the schedule's interval ({format_duration(rate)}): a run could start "
                "after the next slot; allowed: a jitter shorter than the interval",
                shown,
            )

    @property
    def jitter_minutes(self) -> int:
        """The flexible time window in minutes (0: the job starts on its slot)."""
        return (self.jitter or 0) // 60

    @property
    def parsed_schedule(self) -> Schedule | None:
        """The schedule the job deploys: a rate as its cron at the job's phase (components/model/rate_slots.py;
        the name is set at discovery), so its slots are known offline and its slot watch keeps the same ones."""
        if self.schedule is None:
            return None
        return parse_schedule(self.schedule).for_job(self.name or "")

    @property
    def schedule_timezone(self) -> str:
        """The zone EventBridge Scheduler evaluates the schedule in: UTC for a rate's cron, else `timezone`."""
        schedule = self.parsed_schedule
        return schedule.zone(self.timezone) if schedule is not None else self.timezone

    @property
    def execution_timeout(self) -> int:
        return execution_timeout_seconds(
            self.timeout,
            self.retries.attempts,
            self.retries.interval,
            self.retries.backoff_rate,
            self.capacity == "spot",
        )
