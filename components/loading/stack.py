"""The whole stack, validated before anything is built: config, every job, overrides applied, names checked."""

from __future__ import annotations

from difflib import SequenceMatcher, get_close_matches
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from components.loading.discovery import JobModule, find_jobs
from components.loading.messages import describe_validation_error
from components.model.config import StackConfig, config_from_values
from components.model.duration import format_duration
from components.model.errors import InvalidSetup
from components.model.naming import RESERVED_JOB_NAMES, job_names
from components.model.self_test import CANARY_SOURCE, canaries
from components.model.spec import Job
from components.model.stack import Stack, StackJob
from components.model.tags import job_tags, too_many_tags

JOBS_LISTED = 10  # an error lists at most this many job names


def load_stack(jobs_dir: Path, config_values: dict[str, Any], project: str, stack: str, config_source: str) -> Stack:
    """Validate everything, collecting all problems; raise InvalidSetup with all of them or return the Stack."""
    problems: list[str] = _misspelt_namespaces(config_values, project, config_source)
    config: StackConfig | None = None
    data = config_from_values(config_values, project, stack)
    try:
        config = StackConfig.model_validate(data)
    except ValidationError as error:
        found = _config_problems(error, config_source, project)
        if "namePrefix" not in data:  # said once, with why it must be written down
            found = [p for p in found if not p.startswith(f"{config_source}: {project}:namePrefix:")]
            found.append(_missing_prefix(config_source, project, stack))
        problems.extend(found)
    discovered = find_jobs(jobs_dir)
    problems.extend(discovered.problems)
    modules: list[JobModule] = discovered.modules
    jobs: list[StackJob] = []
    if config is not None:
        jobs, job_problems = _apply_config(modules, config, config_source, project, discovered.unloaded)
        problems.extend(job_problems)
    if problems:
        raise InvalidSetup(problems)
    assert config is not None
    if config.self_test:
        jobs += [
            StackJob(
                name=str(spec.name),
                source=CANARY_SOURCE,
                spec=spec,
                names=job_names(config.name_prefix, str(spec.name)),
            )
            for spec in canaries(own_cluster=config.cluster_arn is None)
        ]
    return Stack(project=project, stack=stack, config=config, jobs=jobs)


def _missing_prefix(source: str, project: str, stack: str) -> str:
    """Every physical name derives from the prefix, and a new prefix replaces every resource: so it is written
    in the stack file, never derived from the stack's name (a renamed stack would otherwise be a new stack)."""
    return (
        f"{source}: {project}:namePrefix: required but not given: every physical name starts with it, and a "
        f"changed prefix replaces every resource, so pin it in the stack file: `pulumi config set "
        f"{project}:namePrefix {stack}` (the stack's name, which a stack deployed before this setting was "
        "required used)"
    )


def _misspelt_namespaces(values: dict[str, Any], project: str, source: str) -> list[str]:
    """Keys of other namespaces are other programs' business, except one that is nearly ours: such a
    setting would otherwise be ignored without a word."""
    problems = []
    for key in sorted(values):
        namespace, _, name = key.partition(":")
        if name and namespace != project and SequenceMatcher(None, namespace, project).ratio() >= 0.8:
            problems.append(f"{source}: {key}: unknown namespace {namespace!r}; did you mean {project}:{name}?")
    return problems


def _config_problems(error: ValidationError, source: str, project: str) -> list[str]:
    def key_name(field: str) -> str:
        # The region is the AWS provider's setting; every other key is in the project's namespace.
        return f"aws:{field}" if field.split(".")[0] == "region" else f"{project}:{field}"

    return describe_validation_error(
        error,
        source,
        model=StackConfig,
        key_name=key_name,
        unknown_key="unknown setting",
        unknown_key_help=" (see docs/stack-settings.md)",
    )


def _which(name: str, known: set[str]) -> str:
    """The job a misspelt override meant, else the jobs there are; a stack may have hundreds."""
    guess = get_close_matches(name, known, n=1, cutoff=0.6)
    if guess:
        return f"did you mean {guess[0]!r}?"
    listed = sorted(known)
    more = f" and {len(listed) - JOBS_LISTED} more" if len(listed) > JOBS_LISTED else ""
    return f"jobs are: {', '.join(listed[:JOBS_LISTED]) or '(none)'}{more}"


def _stack_jitter(
    config: StackConfig, spec: Job, name: str, source: str, project: str, problems: list[str]
) -> int | None:
    """The stack's `jitter` for a scheduled job that sets none; a rate job whose interval it does not fit is a
    problem named at the stack setting."""
    if config.jitter is None or "jitter" in spec.model_fields_set or spec.parsed_schedule is None:
        return None
    rate = spec.parsed_schedule.rate_seconds
    if rate is not None and config.jitter >= rate:
        problems.append(
            f"{source}: {project}:jitter: {format_duration(config.jitter)} is not shorter than the interval of job "
            f"{name} ({format_duration(rate)}); allowed: set that job's own jitter (jitter=None for none)"
        )
        return None
    return config.jitter


# Job fields a stack setting of the same name gives a default to (a job's own value wins).
STACK_DEFAULTS = ("user", "read_only_root_filesystem", "ephemeral_storage")


def _unknown_overrides(
    config: StackConfig, known: set[str], unloaded: dict[str, str], source: str, project: str
) -> list[str]:
    """An override of no job is a problem; one of a job whose module did not load is not checked (the module's own
    problem is reported), and other unknown names are weighed against those modules' names too."""
    problems = []
    for name in sorted(set(config.jobs) - known):
        if name in unloaded:
            problems.append(
                f"{source}: {project}:jobs.{name}: not checked: its module {unloaded[name]} did not load (its "
                "problem is listed above)"
            )
            continue
        unknown = f"{source}: {project}:jobs.{name}: override for a job that does not exist; "
        problems.append(unknown + _which(name, known | set(unloaded)))
    return problems


def _apply_config(
    modules: list[JobModule],
    config: StackConfig,
    source: str,
    project: str,
    unloaded: dict[str, str] | None = None,
) -> tuple[list[StackJob], list[str]]:
    problems: list[str] = []
    known = {m.name for m in modules}
    problems.extend(_unknown_overrides(config, known, unloaded or {}, source, project))
    jobs = []
    for module in modules:
        spec = module.job
        override = config.jobs.get(module.name)
        update = override.as_update() if override is not None else {}
        if config.capacity and "capacity" not in spec.model_fields_set:
            update = {"capacity": config.capacity, **update}
        for field in STACK_DEFAULTS:
            value = getattr(config, field)
            if value is not None and field not in spec.model_fields_set:
                update = {field: value, **update}
        stack_jitter = _stack_jitter(config, spec, module.name, source, project, problems)
        if stack_jitter:
            update = {"jitter": stack_jitter, **update}
        if update:
            try:
                spec = Job.model_validate({**spec.model_dump(exclude_unset=True), **update})
            except ValidationError as error:
                problems.extend(
                    describe_validation_error(error, source, prefix=f"{project}:jobs.{module.name}.", model=Job)
                )
                continue
        names = job_names(config.name_prefix, module.name)
        if module.name in RESERVED_JOB_NAMES:
            problems.append(
                f"{module.where}: name: {module.name!r} is reserved for the stack's shared resources; "
                f"choose another name (reserved: {', '.join(sorted(RESERVED_JOB_NAMES))})"
            )
        too_long = names.too_long()
        if too_long:  # one message, for the longest name; the limit covers all of them
            problems.append(
                f"{module.where}: name: {module.name!r} is {len(module.name)} characters, too long with stack prefix "
                f"{config.name_prefix!r}: {max(too_long, key=len)}; use at most "
                f"{_longest_job_name(config.name_prefix)} characters (set name= or rename the file)"
            )
        # The stack's tags are on every job's resources too: only here are both known.
        tags = job_tags(config.tags, spec.tags, module.name)
        what = f"with the stack's {len(config.tags)} ({project}:tags) and ours (scheduled-jobs:job) the job's resources"
        if too_many := too_many_tags(tags, what):
            problems.append(f"{module.where}: tags: {len(spec.tags)} tags; {too_many}")
        jobs.append(StackJob(name=module.name, source=module.source, spec=spec, names=names))
    problems += _former_name_clashes(modules)
    return jobs, problems


def _former_name_clashes(modules: list[JobModule]) -> list[str]:
    """A former name is the identity one job takes over: it may not be a current job's name or another's former."""
    problems, claimed = [], {m.name: m for m in modules}
    for module in modules:
        for old in module.job.former_names:
            if old == module.name:
                problems.append(f"{module.where}: former_names: {old!r} is this job's own name; drop it")
            elif old in claimed:
                holder = claimed[old]
                what = "a job's name" if holder.name == old else f"a former name of {holder.name}"
                problems.append(
                    f"{module.where}: former_names: {old!r} is already {what} ({holder.where}); a name has one job"
                )
            else:
                claimed[old] = module
    return problems


def _longest_job_name(prefix: str) -> int:
    """How long a job name may be with this prefix before some derived AWS name passes its limit."""
    return max((n for n in range(1, 256) if not job_names(prefix, "a" * n).too_long()), default=0)
