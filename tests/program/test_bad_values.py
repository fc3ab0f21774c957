"""Values AWS would refuse only at deploy (issue 13): malformed image references, tags AWS reserves or has too
many of, task definitions past ECS's size limit. Each is one clear message naming the file or config key and
the field; nothing is deployed (tests/support/bad_input.py runs each case through the loader and the program)."""

from __future__ import annotations

import pytest

from tests.support.bad_input import CONFIG_FILE, P, assert_rejected_everywhere, configured, good, manual, module
from tests.support.pulumi_mocks import Project

GRAMMAR = (
    "write [registry[:port]/]repository[:tag][@digest], e.g. '123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:1.0'"
)
NOT_AN_IMAGE = "not a container image reference: "
SHA = "sha256:" + "a" * 64

# Each part of the reference grammar, broken; the same check holds for the stack default and overrides below.
BAD_IMAGES = [
    ("capitals-in-repository", "registry.example.com/team/App:1.0", "the repository 'team/App' has capitals"),
    ("capitals-without-registry", "App:1.0", "the repository 'App' has capitals"),
    ("pasted-ellipsis", "\u2026/App:1.0", "has capitals"),
    ("empty-tag", "app:", "nothing follows ':' (give a tag such as ':1.0', or drop the ':')"),
    ("empty-tag-before-digest", f"app:@{SHA}", "nothing follows ':'"),
    ("space-before-tag", "app :1.0", "it contains whitespace"),
    ("trailing-newline", "app:1.0\n", "it contains whitespace"),
    ("empty", "", "it is empty"),
    ("tag-starts-with-dot", "app:.1", "the tag '.1' may have only letters, digits, '_', '.' and '-'"),
    ("tag-with-plus", "app:1.0+build", "the tag '1.0+build'"),
    ("tag-too-long", "app:" + "a" * 129, "and be at most 128 characters"),
    ("digest-not-hex", "app@sha256:xyz", "the digest 'sha256:xyz' is not algorithm:hex"),
    ("digest-without-algorithm", "app@" + "a" * 64, "is not algorithm:hex"),
    ("sha256-digest-too-short", "app@sha256:" + "a" * 40, "the sha256 digest must be 64 lowercase hex digits, not 40"),
    (
        "registry-with-underscore",
        "my_registry.example.com/app:1",
        "the registry 'my_registry.example.com' is not a host",
    ),
    ("registry-port-not-a-number", "localhost:port/app", "the registry 'localhost:port'"),
    ("double-slash", "registry.example.com//app", "the repository '/app' has an empty part (a '/' too many)"),
    ("trailing-slash", "team/app/", "the repository 'team/app/' has an empty part"),
    ("component-starts-with-separator", "team/-app:1", "the part '-app' of the repository 'team/-app'"),
    ("component-with-triple-underscore", "team/my___app", "the part 'my___app'"),
    ("name-too-long", "a" * 256, "the name is 256 characters; at most 255 are allowed"),
]


@pytest.mark.parametrize(("image", "problem"), [pytest.param(i, p, id=n) for n, i, p in BAD_IMAGES])
def test_malformed_job_image_is_refused_with_the_part_that_is_wrong(project: Project, image: str, problem: str) -> None:
    project.add_job("report.py", good(f", image={image!r}"))
    [message] = assert_rejected_everywhere(
        project, configured({}), ["jobs/report.py:3: image: " + NOT_AN_IMAGE, problem]
    )
    assert GRAMMAR in message


@pytest.mark.parametrize(("image", "problem"), [pytest.param(i, p, id=n) for n, i, p in BAD_IMAGES])
def test_malformed_stack_image_is_refused_at_its_config_key(project: Project, image: str, problem: str) -> None:
    project.add_job("report.py", good())
    assert_rejected_everywhere(
        project, configured({P + "image": image}), [f"{CONFIG_FILE}: scheduled-jobs:image: {NOT_AN_IMAGE}", problem]
    )


@pytest.mark.parametrize(("image", "problem"), [pytest.param(i, p, id=n) for n, i, p in BAD_IMAGES[:6]])
def test_malformed_override_image_is_refused_at_its_config_key(project: Project, image: str, problem: str) -> None:
    project.add_job("report.py", good())
    config = configured({P + "jobs": {"report": {"image": image}}})
    assert_rejected_everywhere(
        project, config, [f"{CONFIG_FILE}: scheduled-jobs:jobs.report.image: {NOT_AN_IMAGE}", problem]
    )


def test_image_message_names_file_field_given_and_grammar(project: Project) -> None:
    project.add_job("report.py", good(", image='registry.example.com/App:1.0'"))
    assert_rejected_everywhere(
        project,
        configured({}),
        [
            "jobs/report.py:3: image: not a container image reference: the repository 'App' has capitals; repository "
            f"names are lowercase; {GRAMMAR} (given: 'registry.example.com/App:1.0')"
        ],
    )


# --- tags: keys AWS reserves, keys and values too long, too many once merged --------------------------------------

RESERVED = "keys starting with 'aws:' (in any case) are reserved for AWS; use another key"
BAD_TAGS: list[tuple[str, dict[str, str], str]] = [
    ("aws-prefix", {"aws:team": "data"}, f"tags.aws:team: {RESERVED}"),
    ("aws-prefix-capitals", {"AWS:team": "data"}, f"tags.AWS:team: {RESERVED}"),
    ("aws-prefix-mixed-case", {"Aws:cost-center": "42"}, f"tags.Aws:cost-center: {RESERVED}"),
    (
        "ours-job",
        {"scheduled-jobs:job": "x"},
        "tags.scheduled-jobs:job: set by this project on its resources, so yours would be overwritten; use another key",
    ),
    (
        "ours-stack",
        {"scheduled-jobs:stack": "x"},
        "tags.scheduled-jobs:stack: set by this project on its resources, so yours would be overwritten; "
        "use another key",
    ),
    (
        "key-too-long",
        {"k" * 129: "v"},
        f"tags: the key '{'k' * 40}...' is 129 characters; AWS allows at most 128 per tag key",
    ),
    (
        "value-too-long",
        {"team": "v" * 257},
        "tags.team: the value is 257 characters; AWS allows at most 256 per tag value",
    ),
    ("key-empty", {"": "v"}, "tags: a tag key is empty; AWS needs 1 to 128 characters"),
]


@pytest.mark.parametrize(("tags", "problem"), [pytest.param(t, p, id=n) for n, t, p in BAD_TAGS])
def test_job_tag_aws_would_refuse_is_refused_in_the_module(
    project: Project, tags: dict[str, str], problem: str
) -> None:
    project.add_job("report.py", good(f", tags={tags!r}"))
    assert_rejected_everywhere(project, configured({}), [f"jobs/report.py:3: {problem}"])


@pytest.mark.parametrize(("tags", "problem"), [pytest.param(t, p, id=n) for n, t, p in BAD_TAGS])
def test_stack_tag_aws_would_refuse_is_refused_at_its_config_key(
    project: Project, tags: dict[str, str], problem: str
) -> None:
    project.add_job("report.py", good())
    assert_rejected_everywhere(project, configured({P + "tags": tags}), [f"{CONFIG_FILE}: scheduled-jobs:{problem}"])


def _tags(count: int, prefix: str) -> dict[str, str]:
    return {f"{prefix}{i}": "x" for i in range(count)}


@pytest.mark.parametrize(
    ("stack_tags", "job_tags", "carried"),
    [
        pytest.param(0, 50, 51, id="job-alone-plus-ours"),
        pytest.param(25, 25, 51, id="stack-and-job"),
        pytest.param(49, 1, 51, id="stack-full-job-adds-one"),
        pytest.param(10, 60, 71, id="job-far-over"),
    ],
)
def test_too_many_tags_on_a_jobs_resources_once_merged_is_refused_in_the_module(
    project: Project, stack_tags: int, job_tags: int, carried: int
) -> None:
    project.add_job("report.py", good(f", tags={_tags(job_tags, 'job')!r}"))
    assert_rejected_everywhere(
        project,
        configured({P + "tags": _tags(stack_tags, "stack")}),
        [
            f"jobs/report.py:3: tags: {job_tags} tags; with the stack's {stack_tags} (scheduled-jobs:tags) and ours "
            f"(scheduled-jobs:job) the job's resources would carry {carried} tags; AWS allows at most 50 per resource: "
            f"drop {carried - 50}"
        ],
    )


@pytest.mark.parametrize("count", [50, 80])
def test_too_many_stack_tags_for_the_shared_resources_is_refused_at_its_config_key(
    project: Project, count: int
) -> None:
    project.add_job("report.py", good())
    assert_rejected_everywhere(
        project,
        configured({P + "tags": _tags(count, "t")}),
        [
            f"{CONFIG_FILE}: scheduled-jobs:tags: {count} tags; with ours (scheduled-jobs:stack) the shared resources "
            f"would carry {count + 1} tags; AWS allows at most 50 per resource: drop {count + 1 - 50}"
        ],
    )


# --- task definition size ---------------------------------------------------------------------------------------

LIMIT = "ECS accepts at most 65,536 bytes (64 KiB)"
TOO_BIG: list[tuple[str, str, str]] = [
    ("one-huge-environment-value", manual(', environment={"BLOB": "x" * 70_000}'), "environment"),
    ("many-environment-variables", manual(', environment={f"VAR_{i}": "v" * 60 for i in range(1_000)}'), "environment"),
    ("many-secrets", manual(', secrets={f"S_{i}": f"/app/{i}/" + "p" * 60 for i in range(1_000)}'), "secrets"),
    ("huge-command", module('command=["echo", "x" * 70_000], timeout="30m"'), "command"),
    (
        "environment-and-command-together",
        module('command=["run", "y" * 30_000], timeout="30m", environment={"A": "x" * 40_000}'),
        "environment",
    ),
]


@pytest.mark.parametrize(("body", "field"), [pytest.param(b, f, id=n) for n, b, f in TOO_BIG])
def test_task_definition_past_the_ecs_size_limit_is_refused_with_its_size(
    project: Project, body: str, field: str
) -> None:
    project.add_job("report.py", body)
    [message] = assert_rejected_everywhere(
        project, configured({}), [f"jobs/report.py:3: {field}: the task definition would be about ", LIMIT]
    )
    size = int(message.split("about ")[1].split(" bytes")[0].replace(",", ""))
    assert size > 65_536


def test_task_size_message_names_each_part_and_the_fix(project: Project) -> None:
    project.add_job("report.py", manual(', environment={"BLOB": "x" * 70_000}'))
    assert_rejected_everywhere(
        project,
        configured({}),
        [
            "jobs/report.py:3: environment: the task definition would be about 74,154 bytes (environment 70,028, "
            "secrets 2, command 28, and up to 4,096 for the image, names and settings); ECS accepts at most 65,536 "
            "bytes (64 KiB): move large values into SSM parameters named in `secrets`, or into a file the job reads"
        ],
    )
