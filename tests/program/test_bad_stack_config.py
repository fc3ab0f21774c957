"""Every mistake in a stack's config, and several at once: one clear message each, nothing deployed; the
offline plan says the same.

Each case runs twice (tests/support/bad_input.py): through the pure loader (what plan.py uses) and through the
Pulumi program under mocks, which must fail with the same message before registering a single resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import plan
from components.loading.stack import load_stack
from components.model.errors import InvalidSetup
from tests.support.bad_input import CONFIG_FILE, DROP, P, assert_rejected_everywhere, configured, good, problems
from tests.support.pulumi_mocks import Project, run_program

CONFIG_CASES = [
    (
        "subnets-missing",
        {P + "subnets": DROP},
        [f"{CONFIG_FILE}: scheduled-jobs:subnets: required but not given, e.g. ['subnet-0123456789abcdef0']"],
    ),
    (
        "security-groups-missing",
        {P + "securityGroups": DROP},
        ["scheduled-jobs:securityGroups: required but not given"],
    ),
    (
        # Never derived from the stack's name: a renamed stack would replace every resource (issue 16).
        "name-prefix-missing",
        {P + "namePrefix": DROP},
        [
            f"{CONFIG_FILE}: scheduled-jobs:namePrefix: required but not given: every physical name starts with it, "
            "and a changed prefix replaces every resource, so pin it in the stack file: `pulumi config set "
            "scheduled-jobs:namePrefix test`"
        ],
    ),
    (
        "region-missing",
        {"aws:region": DROP},
        [f"{CONFIG_FILE}: aws:region: required but not given, e.g. 'eu-central-1'"],
    ),
    ("subnets-empty", {P + "subnets": []}, ["scheduled-jobs:subnets: List should have at least 1 item, not 0"]),
    (
        "subnets-a-string",
        {P + "subnets": "subnet-0123456789abcdef0"},
        ["scheduled-jobs:subnets: Input should be a valid list"],
    ),
    (
        "subnet-id-malformed",
        {P + "subnets": ["subnet-xyz"]},
        [
            "scheduled-jobs:subnets: 'subnet-xyz' is not a subnet id, e.g. 'subnet-0123456789abcdef0' "
            "(given: 'subnet-xyz')"
        ],
    ),
    (
        "security-group-id-malformed",
        {P + "securityGroups": ["sg-12"]},
        ["scheduled-jobs:securityGroups: 'sg-12' is not a security group id"],
    ),
    ("region-malformed", {"aws:region": "europe"}, ["aws:region: 'europe' is not an AWS region"]),
    (
        "unknown-top-level-key",
        {P + "subnet": ["subnet-0123456789abcdef0"]},
        [
            f"{CONFIG_FILE}: scheduled-jobs:subnet: unknown setting; did you mean 'subnets'? "
            "(see docs/stack-settings.md)"
        ],
    ),
    (
        "override-for-missing-job",
        {P + "jobs": {"reprot": {"enabled": False}}},
        [f"{CONFIG_FILE}: scheduled-jobs:jobs.reprot: override for a job that does not exist; did you mean 'report'?"],
    ),
    (
        "override-for-unrelated-missing-job",
        {P + "jobs": {"billing": {"enabled": False}}},
        [f"{CONFIG_FILE}: scheduled-jobs:jobs.billing: override for a job that does not exist; jobs are: report"],
    ),
    (
        "override-with-bad-schedule",
        {P + "jobs": {"report": {"schedule": "cron(0 6 * * *)"}}},
        [f"{CONFIG_FILE}: scheduled-jobs:jobs.report.schedule: 'cron(0 6 * * *)' is a five-field crontab expression"],
    ),
    (
        "override-with-permission-for-every-action",
        {P + "jobs": {"report": {"permissions": [{"actions": ["*"], "resources": ["*"]}]}}},
        [f"{CONFIG_FILE}: scheduled-jobs:jobs.report.permissions[0].actions[0]: grants every action of every service"],
    ),
    (
        "override-with-bad-cpu",
        {P + "jobs": {"report": {"cpu": 300}}},
        ["scheduled-jobs:jobs.report.cpu: not a Fargate cpu size"],
    ),
    (
        "override-with-unknown-field",
        {P + "jobs": {"report": {"enabeld": False}}},
        ["scheduled-jobs:jobs.report.enabeld: unknown setting; did you mean 'enabled'?"],
    ),
    (
        "override-with-wrong-type",
        {P + "jobs": {"report": {"enabled": "no"}}},
        ["scheduled-jobs:jobs.report.enabled: Input should be a valid boolean (given: 'no')"],
    ),
    (
        "log-retention-not-accepted",
        {P + "logRetentionDays": 10},
        [
            "scheduled-jobs:logRetentionDays: 10 days is not a retention CloudWatch Logs accepts; "
            "allowed: 1, 3, 5, 7, 14, 30"
        ],
    ),
    (
        "alarm-email-not-an-address",
        {P + "alarmEmails": ["oncall"]},
        ["scheduled-jobs:alarmEmails: 'oncall' is not an e-mail address, e.g. 'oncall@example.com' (given: 'oncall')"],
    ),
    (
        "alarm-emails-a-string",
        {P + "alarmEmails": "oncall@example.com"},
        ["scheduled-jobs:alarmEmails: Input should be a valid list"],
    ),
    ("name-prefix-upper-case", {P + "namePrefix": "Prod"}, ["scheduled-jobs:namePrefix: 'Prod' is not a name prefix"]),
    (
        "public-ip-not-a-bool",
        {P + "assignPublicIp": "yes"},
        ["scheduled-jobs:assignPublicIp: Input should be a valid boolean"],
    ),
    (
        "config-namespace-misspelt",
        {"scheduled-job:logRetentionDays": 14},
        [
            f"{CONFIG_FILE}: scheduled-job:logRetentionDays: unknown namespace 'scheduled-job'; "
            "did you mean scheduled-jobs:logRetentionDays?"
        ],
    ),
    (
        "cluster-in-another-region",
        {P + "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/jobs"},
        ["scheduled-jobs:clusterArn: is in us-east-1, but the stack deploys to eu-central-1"],
    ),
    (
        "github-repository-a-url",
        {P + "githubRepository": "https://github.com/octo-org/jobs"},
        [
            f"{CONFIG_FILE}: scheduled-jobs:githubRepository: 'https://github.com/octo-org/jobs' "
            "is not a GitHub repository as OWNER/REPO (letters, digits, '-' and '_'; REPO also '.') or GitHub's "
            "immutable form OWNER@OWNER-ID/REPO@REPO-ID, e.g. 'octo-org/scheduled-jobs' "
            "(given: 'https://github.com/octo-org/jobs')"
        ],
    ),
    (
        "github-repository-a-whole-subject",
        {P + "githubRepository": "repo:octo-org/jobs:pull_request"},
        ["scheduled-jobs:githubRepository: 'repo:octo-org/jobs:pull_request' is not a GitHub repository"],
    ),
    (
        "github-repository-a-wildcard",
        {P + "githubRepository": "octo-org/*"},
        ["scheduled-jobs:githubRepository: 'octo-org/*' is not a GitHub repository"],
    ),
    (
        "github-repository-owner-only",
        {P + "githubRepository": "octo-org"},
        ["scheduled-jobs:githubRepository: 'octo-org' is not a GitHub repository"],
    ),
    (
        "github-repository-id-on-one-side-only",
        {P + "githubRepository": "octo-org@123456/jobs"},
        ["scheduled-jobs:githubRepository: 'octo-org@123456/jobs' is not a GitHub repository"],
    ),
    (
        "github-repository-a-list",
        {P + "githubRepository": ["octo-org/jobs"]},
        ["scheduled-jobs:githubRepository: Input should be a valid string"],
    ),
    # The alert topic's key: a key ARN, since grants name the key's ARN (an alias would allow nothing).
    (
        "topic-key-an-alias",
        {P + "alarmTopicKmsKeyArn": "arn:aws:kms:eu-central-1:123456789012:alias/alarms"},
        [
            "scheduled-jobs:alarmTopicKmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:alias/alarms' is not a "
            "KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; an alias or a bare key id does not name the key "
            "in an IAM policy)"
        ],
    ),
    (
        "topic-key-a-bare-key-id",
        {P + "alarmTopicKmsKeyArn": "1234abcd-12ab-34cd-56ef-1234567890ab"},
        ["scheduled-jobs:alarmTopicKmsKeyArn: '1234abcd-12ab-34cd-56ef-1234567890ab' is not a KMS key ARN"],
    ),
    (
        "topic-key-the-aws-managed-sns-key",
        {P + "alarmTopicKmsKeyArn": "alias/aws/sns"},
        [
            "scheduled-jobs:alarmTopicKmsKeyArn: is the AWS managed key of SNS: CloudWatch alarms cannot publish "
            "to a topic encrypted with it"
        ],
    ),
    (
        "encrypted-topic-of-another-team",
        {
            P + "alarmEmails": DROP,
            P + "alarmTopicArn": "arn:aws:sns:eu-central-1:123456789012:oncall",
            P + "encryptAlarmTopic": True,
        },
        [
            "scheduled-jobs:encryptAlarmTopic: set together with alarmTopicArn: that topic and its encryption are "
            "its owner's; name the key it is encrypted with in alarmTopicKmsKeyArn instead"
        ],
    ),
    (
        "encrypted-topic-and-a-named-key",
        {
            P + "alarmTopicKmsKeyArn": "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            P + "encryptAlarmTopic": True,
        },
        ["scheduled-jobs:encryptAlarmTopic: set together with alarmTopicKmsKeyArn"],
    ),
]


@pytest.mark.parametrize(("change", "fragments"), [pytest.param(c, f, id=i) for i, c, f in CONFIG_CASES])
def test_bad_stack_config_gets_one_clear_message_and_nothing_is_deployed(
    project: Project, change: dict[str, Any], fragments: list[str]
) -> None:
    project.add_job("report.py", good())
    assert_rejected_everywhere(project, configured(change), fragments)


def test_all_problems_across_jobs_and_config_are_reported_together(project: Project) -> None:
    project.add_job("a.py", good().replace('timeout="30m"', 'timeout="10 mins"'))
    project.add_job("b.py", good().replace("cron(0 6 * * ? *)", "cron(0 6 * * *)"))
    project.add_job("c.py", good())
    config = configured({P + "subnets": DROP, P + "logRetentionDays": 10})
    found = problems(project, config)
    assert [line.split(": ")[0:2] for line in found] == [
        [CONFIG_FILE, "scheduled-jobs:subnets"],
        [CONFIG_FILE, "scheduled-jobs:logRetentionDays"],
        ["jobs/a.py:3", "timeout"],
        ["jobs/b.py:3", "schedule"],
    ]
    mocks = run_program(project, config, capture_error=True)
    assert str(mocks.error).startswith("4 problems found; nothing was deployed:")
    assert all(f"  - {line}" in str(mocks.error) for line in found)
    assert mocks.resources == []


def test_override_for_a_missing_job_in_a_large_stack_lists_only_a_few_jobs(project: Project) -> None:
    for index in range(30):
        project.add_job(f"job_{index:02d}.py", good())
    [problem] = problems(project, configured({P + "jobs": {"billing": {"enabled": False}}}))
    assert problem.endswith(
        "jobs are: job-00, job-01, job-02, job-03, job-04, job-05, job-06, job-07, job-08, job-09 and 20 more"
    )


def test_values_pulumi_hands_over_as_strings_are_read_like_the_yaml(project: Project) -> None:
    """Pulumi passes `assignPublicIp: false` and `logRetentionDays: 14` as "false" and "14"."""
    project.add_job("report.py", good())
    config = configured(
        {P + "assignPublicIp": "false", P + "logRetentionDays": "14", P + "jobs": '{"report": {"enabled": false}}'}
    )
    stack = load_stack(project.jobs, config, "scheduled-jobs", "test", CONFIG_FILE)
    assert (stack.config.assign_public_ip, stack.config.log_retention_days, stack.jobs[0].spec.enabled) == (
        False,
        14,
        False,
    )


def _plan_project(root: Path, stack_yaml: str) -> None:
    (root / "Pulumi.yaml").write_text("name: scheduled-jobs\nruntime: python\n")
    (root / "Pulumi.test.yaml").write_text(stack_yaml)


def test_plan_reports_the_same_problems_as_the_program_and_writes_nothing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.add_job("report.py", good(', timeout="10 mins"').replace('timeout="30m", ', ""))
    _plan_project(
        project.root,
        "config:\n  aws:region: eu-central-1\n  scheduled-jobs:namePrefix: test\n  scheduled-jobs:image: app:1\n"
        "  scheduled-jobs:securityGroups: [sg-0123456789abcdef0]\n",
    )
    out = project.root / "build"
    assert plan.main(["--stack", "test", "--root", str(project.root), "--out", str(out)]) == 1
    printed = capsys.readouterr().err
    assert "2 problems found; nothing was deployed:" in printed
    assert "  - Pulumi.test.yaml: scheduled-jobs:subnets: required but not given" in printed
    assert "  - jobs/report.py:3: timeout: '10 mins' is not a duration" in printed
    assert not out.exists()
    config = {
        "aws:region": "eu-central-1",
        P + "namePrefix": "test",
        P + "image": "app:1",
        P + "securityGroups": ["sg-0123456789abcdef0"],
    }
    program = str(run_program(project, config, capture_error=True).error)
    assert [line for line in printed.splitlines() if line.startswith("  - ")] == [
        line for line in program.splitlines() if line.startswith("  - ")
    ]


@pytest.mark.parametrize(
    ("stack_yaml", "expected"),
    [
        pytest.param("config:\n  aws:region: [eu\n", "Pulumi.test.yaml: not valid YAML:", id="yaml-syntax-error"),
        pytest.param(
            "- just\n- a list\n", "Pulumi.test.yaml: should be a YAML mapping, not a list", id="yaml-not-a-mapping"
        ),
        pytest.param(
            "config: eu-central-1\n",
            "Pulumi.test.yaml: config: should be a mapping of settings",
            id="config-not-a-mapping",
        ),
    ],
)
def test_plan_load_reports_a_broken_stack_file(project: Project, stack_yaml: str, expected: str) -> None:
    project.add_job("report.py", good())
    _plan_project(project.root, stack_yaml)
    with pytest.raises(InvalidSetup) as raised:
        plan.load("test", project.root)
    assert expected in str(raised.value)


# Every reference-shaped setting, with a valid value. A check that only looks at the start of a value (a
# prefix match) lets "valid value + anything" through; each must reject the whole value.
VALID_REFERENCES: dict[str, Any] = {
    "aws:region": "eu-central-1",
    P + "subnets": ["subnet-0123456789abcdef0"],
    P + "securityGroups": ["sg-0123456789abcdef0"],
    P + "clusterArn": "arn:aws:ecs:eu-central-1:123456789012:cluster/jobs",
    P + "alarmTopicArn": "arn:aws:sns:eu-central-1:123456789012:oncall",
    P + "alarmEmails": ["oncall@example.com"],
    P + "namePrefix": "prod",
    P + "githubRepository": "octo-org/jobs",
}
# alarmTopicArn and alarmEmails are refused together (the e-mails would have to confirm again on that topic).
WITHOUT_EMAILS = {P + "alarmEmails": DROP}
# Characters no such value may hold, so "valid + trailer" is invalid for every key.
TRAILERS = {"space": " (prod)", "slash": "/extra", "colon": ":1"}


@pytest.mark.parametrize("trailer", TRAILERS.values(), ids=TRAILERS.keys())
@pytest.mark.parametrize("key", VALID_REFERENCES)
def test_a_reference_with_text_after_a_valid_value_is_rejected_whole(project: Project, key: str, trailer: str) -> None:
    project.add_job("report.py", good())
    valid = VALID_REFERENCES[key]
    alone = WITHOUT_EMAILS if key == P + "alarmTopicArn" else {}
    assert problems(project, configured({key: valid, **alone})) == []  # the value itself is fine
    bad = [valid[0] + trailer] if isinstance(valid, list) else valid + trailer
    [problem] = problems(project, configured({key: bad, **alone}))
    assert problem.startswith(f"{CONFIG_FILE}: {key}: ") and repr(bad[0] if isinstance(bad, list) else bad) in problem


@pytest.mark.parametrize("key", [P + "clusterArn", P + "alarmTopicArn"])
def test_an_arn_in_another_region_than_the_stack_is_rejected(project: Project, key: str) -> None:
    """Step Functions runs ECS tasks and publishes to SNS in its own region: the service integrations take
    no region parameter (Step Functions developer guide, "Integrating services")."""
    project.add_job("report.py", good())
    arn = str(VALID_REFERENCES[key]).replace("eu-central-1", "us-east-1")
    assert_rejected_everywhere(
        project,
        configured({key: arn, **WITHOUT_EMAILS}),
        [f"{key}: is in us-east-1, but the stack deploys to eu-central-1"],
    )


def test_alarm_emails_with_an_existing_alarm_topic_are_refused_with_what_to_do(project: Project) -> None:
    project.add_job("report.py", good())
    topic = {P + "alarmTopicArn": "arn:aws:sns:eu-central-1:123456789012:oncall"}
    assert_rejected_everywhere(
        project,
        configured(topic),
        [
            f"{CONFIG_FILE}: scheduled-jobs:alarmEmails: set together with alarmTopicArn: alerts then go to that "
            "topic, whose subscriptions its owner manages; subscribe these addresses there (each must confirm), "
            "and drop alarmEmails here (given: 'oncall@example.com')"
        ],
    )


MISTYPED_REGIONS = {
    "eu-centrl-1": "did you mean 'eu-central-1'?",
    "eu-central-9": "did you mean 'eu-central-2'?",
    "us-east-7": "did you mean 'us-east-",
    "zz-nowhere-3": "e.g. 'eu-central-1'",
}


@pytest.mark.parametrize(("region", "hint"), MISTYPED_REGIONS.items(), ids=MISTYPED_REGIONS.keys())
def test_a_region_that_only_looks_like_one_is_refused_against_botocores_partition_data(
    project: Project, region: str, hint: str
) -> None:
    project.add_job("report.py", good())
    [message] = assert_rejected_everywhere(project, configured({"aws:region": region}), [f"aws:region: {region!r}"])
    assert "is not an AWS region known to botocore " in message and hint in message


@pytest.mark.parametrize(
    "repository", ["octo-org/jobs", "Octo-Org/scheduled.jobs_2", "user_emu-corp/x", "octo-org@123456/jobs@456789"]
)
def test_a_github_repository_as_github_spells_it_is_accepted(project: Project, repository: str) -> None:
    project.add_job("report.py", good())
    assert problems(project, configured({P + "githubRepository": repository})) == []


@pytest.mark.parametrize("region", ["eu-central-1", "us-gov-west-1", "cn-north-1", "ap-southeast-2", "il-central-1"])
def test_a_real_region_of_any_partition_is_accepted(project: Project, region: str) -> None:
    project.add_job("report.py", good())
    assert problems(project, configured({"aws:region": region})) == []
