"""plan.py reads Pulumi.<stack>.yaml as Pulumi does, so the plan and `pulumi up` always say the same: YAML 1.2
values, a repeated key refused, settings outside `config:` and encrypted values explained."""

from __future__ import annotations

from typing import Any

import pytest

import plan
from components.model.errors import InvalidSetup
from tests.support.bad_input import CONFIG_FILE, P, configured, good, problems
from tests.support.pulumi_mocks import Project

BASE = """\
config:
  aws:region: eu-central-1
  scheduled-jobs:image: app:1
  scheduled-jobs:subnets: ["subnet-0123456789abcdef0"]
  scheduled-jobs:securityGroups: ["sg-0123456789abcdef0"]
  scheduled-jobs:namePrefix: test
"""


def _plan_problems(project: Project, stack_file: str) -> list[str]:
    (project.root / "Pulumi.yaml").write_text("name: scheduled-jobs\nruntime: python\n")
    (project.root / CONFIG_FILE).write_text(stack_file)
    try:
        plan.load(CONFIG_FILE.removeprefix("Pulumi.").removesuffix(".yaml"), project.root)
    except InvalidSetup as error:
        return error.problems
    return []


# YAML 1.1 reads these as booleans (PyYAML does); YAML 1.2, which Pulumi's go-yaml v3 reads, as strings.
YAML_11_BOOLEANS = ["yes", "no", "on", "off", "y", "n"]


@pytest.mark.parametrize("word", YAML_11_BOOLEANS)
def test_a_yaml_1_1_boolean_is_a_string_to_the_plan_as_it_is_to_pulumi(project: Project, word: str) -> None:
    project.add_job("report.py", good())
    from_plan = _plan_problems(project, BASE + f"  scheduled-jobs:assignPublicIp: {word}\n")
    # What the program gets from Pulumi: the string as written.
    from_program = problems(project, configured({P + "assignPublicIp": word}))
    assert (
        from_plan
        == from_program
        == [f"{CONFIG_FILE}: scheduled-jobs:assignPublicIp: Input should be a valid boolean (given: {word!r})"]
    )


def test_true_and_false_are_booleans_to_both(project: Project) -> None:
    project.add_job("report.py", good())
    assert _plan_problems(project, BASE + "  scheduled-jobs:assignPublicIp: true\n") == []


REPEATS: dict[str, tuple[str, str]] = {
    "a setting": (BASE + "  scheduled-jobs:image: app:2\n", "Pulumi.test.yaml:7: scheduled-jobs:image: "),
    "a job override": (
        BASE + "  scheduled-jobs:jobs:\n    report:\n      enabled: false\n      enabled: true\n",
        "Pulumi.test.yaml:10: enabled: ",
    ),
}


@pytest.mark.parametrize(("text", "where"), REPEATS.values(), ids=REPEATS.keys())
def test_a_key_given_twice_is_refused_as_pulumi_refuses_it(project: Project, text: str, where: str) -> None:
    project.add_job("report.py", good())
    assert _plan_problems(project, text) == [
        f"{where}given a second time; Pulumi refuses a stack file with a repeated key: keep one"
    ]


def test_settings_outside_config_are_named_with_the_fix(project: Project) -> None:
    project.add_job("report.py", good())
    unwrapped = "\n".join(line[2:] for line in BASE.splitlines()[1:]) + "\n"
    assert _plan_problems(project, unwrapped) == [
        f"{CONFIG_FILE}: aws:region, scheduled-jobs:image, scheduled-jobs:namePrefix and 2 more: written at "
        "the top level, where Pulumi does not read settings; indent them under `config:`"
    ]


def test_an_encrypted_value_says_the_plan_cannot_read_it_and_what_to_do(project: Project) -> None:
    project.add_job("report.py", good())
    text = BASE + "  scheduled-jobs:alarmTopicArn:\n    secure: AAABAGx0ZXN0\n"
    [message] = _plan_problems(project, text)
    assert message.startswith(f"{CONFIG_FILE}: scheduled-jobs:alarmTopicArn: is encrypted (secure:), and plan.py")
    assert "`pulumi config set scheduled-jobs:alarmTopicArn VALUE`" in message and "`pulumi preview`" in message


NOT_OVERRIDABLE = ["timeout", "command", "retries", "concurrency", "environment", "secrets", "name"]


@pytest.mark.parametrize("field", NOT_OVERRIDABLE)
def test_overriding_a_job_field_that_cannot_be_overridden_says_so_and_lists_what_can(
    project: Project, field: str
) -> None:
    project.add_job("report.py", good())
    value: Any = "1h"
    assert problems(project, configured({P + "jobs": {"report": {field: value}}})) == [
        f"{CONFIG_FILE}: scheduled-jobs:jobs.report.{field}: cannot be overridden per stack; set it in the job "
        "module. Per stack you can set: enabled, schedule, timezone, cpu, memory, image, capacity, jitter, permissions "
        "(see docs/stack-settings.md)"
    ]


def test_a_misspelt_override_still_gets_a_suggestion(project: Project) -> None:
    project.add_job("report.py", good())
    [message] = problems(project, configured({P + "jobs": {"report": {"schedul": "rate(1 hour)"}}}))
    assert message.endswith("unknown setting; did you mean 'schedule'? (see docs/stack-settings.md)")


def test_the_plan_reads_the_shipped_stack_file() -> None:
    assert plan.load("dev").config.region == "eu-central-1"
