"""Every mistake a user can make in a job module or the stack config: one clear message, nothing deployed.

Each case runs twice: through the pure loader (what plan.py uses) and through the Pulumi program under
mocks, which must fail with the same message before registering a single resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import plan
from components.errors import InvalidSetup
from components.stack import load_stack
from tests.pulumi_mocks import BASE_CONFIG, Project, run_program

P = "scheduled-jobs:"
CONFIG_FILE = "Pulumi.test.yaml"
DROP = object()  # a config change that removes the key


def module(fields: str) -> str:
    """A job module with the spec on line 3, so messages point at `jobs/report.py:3`."""
    return f"from components import Job\n\njob = Job({fields})\n"


def good(extra: str = "") -> str:
    return module('schedule="cron(0 6 * * ? *)", command=["python", "-m", "app.report"], timeout="30m"' + extra)


def manual(extra: str) -> str:
    return module('command=["python", "-m", "app.report"], timeout="30m"' + extra)


def configured(change: dict[str, Any]) -> dict[str, Any]:
    config = {**BASE_CONFIG, **change}
    return {key: value for key, value in config.items() if value is not DROP}


def problems(project: Project, config: dict[str, Any]) -> list[str]:
    """The problems the pure loader reports, or [] if it accepts the setup."""
    try:
        load_stack(project.jobs, config, "scheduled-jobs", "test", CONFIG_FILE)
    except InvalidSetup as error:
        return error.problems
    return []


def assert_rejected_everywhere(project: Project, config: dict[str, Any], fragments: list[str]) -> list[str]:
    """The loader reports exactly one problem containing every fragment; the program fails with the same
    problem and registers nothing."""
    found = problems(project, config)
    assert len(found) == 1, found
    for fragment in fragments:
        assert fragment in found[0]
    mocks = run_program(project, config, capture_error=True)
    assert mocks.error is not None
    assert f"  - {found[0]}" in str(mocks.error)
    assert mocks.resources == []
    return found


JOB_MODULE_CASES = [
    # the module itself
    (
        "syntax-error",
        "from components import Job\n\njob = Job(command=['x'], timeout='30m'\n",
        ["jobs/report.py:3: syntax error: '(' was never closed"],
    ),
    (
        "import-error",
        "import no_such_package\n",
        ["jobs/report.py:1: cannot import: No module named 'no_such_package'"],
    ),
    (
        "import-of-a-missing-name",
        "from components import Jobb\n",
        ["jobs/report.py:1: cannot import: cannot import name 'Jobb'"],
    ),
    (
        "raises-at-import",
        "from components import Job\n\nraise RuntimeError('no config')\n",
        ["jobs/report.py:3: raised RuntimeError while importing: no config"],
    ),
    (
        "no-spec",
        "from components import Job\n\nJOB = {'command': ['x']}\n",
        ["jobs/report.py: no job defined; add `job = Job(command=[...], timeout='30m')`"],
    ),
    (
        "two-specs",
        good() + 'other = Job(command=["y"], timeout="1m")\n',
        ["jobs/report.py: defines 2 jobs (job, other); one module holds one job"],
    ),
    (
        "spec-of-wrong-type",
        "job = {'command': ['x'], 'timeout': '30m'}\n",
        ["jobs/report.py:1: job: is a dict, not a components.Job; write `job = Job(command=[...], timeout='30m')`"],
    ),
    (
        "spec-is-the-class",
        "from components import Job\n\njob = Job\n",
        ["jobs/report.py:3: job: is the Job class itself (not called)"],
    ),
    (
        "unknown-field",
        module('command=["x"], timout="30m"'),
        ["jobs/report.py:3: timout: unknown field; did you mean 'timeout'?"],
    ),
    (
        "unknown-field-no-guess",
        good(", colour='red'"),
        ["jobs/report.py:3: colour: unknown field (known fields: name, command,"],
    ),
    (
        "unknown-nested-field",
        good(', retries={"attemps": 2}'),
        ["jobs/report.py:3: retries.attemps: unknown field; did you mean 'attempts'?"],
    ),
    (
        "missing-required-field",
        module('command=["x"]'),
        ["jobs/report.py:3: timeout: required but not given, e.g. '30m'"],
    ),
    # name
    (
        "name-empty",
        good(', name=""'),
        ["jobs/report.py:3: name: '' is not a job name: use lowercase letters, digits and single hyphens"],
    ),
    ("name-upper-case", good(', name="Report"'), ["name: 'Report' is not a job name", "(given: 'Report')"]),
    ("name-with-space", good(', name="daily report"'), ["name: 'daily report' is not a job name"]),
    ("name-with-other-characters", good(', name="report_v2!"'), ["name: 'report_v2!' is not a job name"]),
    (
        "name-too-long-for-aws",
        good(f', name="{"a" * 60}"'),
        [
            "jobs/report.py:3: name: '" + "a" * 60 + "' is 60 characters, too long with stack prefix 'test':",
            "IAM role name 'test-" + "a" * 60 + "-task' is 70 characters; AWS allows 64; use at most 54 characters",
        ],
    ),
    (
        "name-reserved",
        good(', name="lock-janitor"'),
        ["jobs/report.py:3: name: 'lock-janitor' is reserved for the stack's shared resources"],
    ),
    # schedule
    (
        "cron-with-5-fields",
        good().replace("cron(0 6 * * ? *)", "cron(0 6 * * *)"),
        ["jobs/report.py:3: schedule: cron(0 6 * * *) has 5 fields; AWS cron needs 6", "(given: 'cron(0 6 * * *)')"],
    ),
    (
        "cron-with-both-days",
        good().replace("cron(0 6 * * ? *)", "cron(0 6 1 * MON *)"),
        [
            "schedule: cron(0 6 1 * MON *): AWS needs '?' in exactly one of "
            "day-of-month ('1') and day-of-week ('MON'), "
            "e.g. cron(0 6 1 * ? *) or cron(0 6 ? * MON *)"
        ],
    ),
    (
        "cron-with-neither-day",
        good().replace("cron(0 6 * * ? *)", "cron(0 6 * * * *)"),
        ["AWS needs '?' in exactly one of"],
    ),
    (
        "cron-hour-out-of-range",
        good().replace("cron(0 6 * * ? *)", "cron(0 24 * * ? *)"),
        ["schedule: cron(0 24 * * ? *): hours: '24' is not allowed; allowed: 0-23 with , - * /"],
    ),
    (
        "cron-minute-out-of-range",
        good().replace("cron(0 6 * * ? *)", "cron(60 6 * * ? *)"),
        ["minutes: '60' is not allowed; allowed: 0-59"],
    ),
    (
        "cron-day-of-week-out-of-range",
        good().replace("cron(0 6 * * ? *)", "cron(0 6 ? * 0 *)"),
        ["day-of-week: '0' is not allowed; allowed: 1-7 or SUN-SAT"],
    ),
    (
        "cron-year-out-of-range",
        good().replace("cron(0 6 * * ? *)", "cron(0 6 * * ? 1969)"),
        ["year: '1969' is not allowed; allowed: 1970-2199"],
    ),
    (
        "cron-zero-step",
        good().replace("cron(0 6 * * ? *)", "cron(0/0 6 * * ? *)"),
        ["minutes: step 0 in '0/0'; a step is a whole number from 1"],
    ),
    ("cron-bad-step", good().replace("cron(0 6 * * ? *)", "cron(*/x 6 * * ? *)"), ["minutes: '*/x' is not allowed"]),
    ("cron-bad-range", good().replace("cron(0 6 * * ? *)", "cron(0 6-x * * ? *)"), ["hours: '6-x' is not allowed"]),
    (
        "cron-wrapping-hours",
        good().replace("cron(0 6 * * ? *)", "cron(0 22-2 ? * * *)"),
        ["hours: the range '22-2' runs backwards; AWS documents ranges only from low to high: write 22-23,0-2"],
    ),
    (
        "cron-wrapping-days",
        good().replace("cron(0 6 * * ? *)", "cron(0 6 ? * FRI-MON *)"),
        ["day-of-week: the range 'FRI-MON' runs backwards", "write FRI-SAT,SUN-MON"],
    ),
    (
        "rate-zero",
        good().replace("cron(0 6 * * ? *)", "rate(0 minutes)"),
        ["schedule: 'rate(0 minutes)': the count must be a whole number from 1"],
    ),
    (
        "rate-plural-for-one",
        good().replace("cron(0 6 * * ? *)", "rate(1 minutes)"),
        ["'rate(1 minutes)': AWS wants rate(1 minute)"],
    ),
    (
        "rate-unknown-unit",
        good().replace("cron(0 6 * * ? *)", "rate(5 fortnights)"),
        ["'rate(5 fortnights)': unit must be minute(s), hour(s) or day(s), got 'fortnights'"],
    ),
    (
        "unknown-alias",
        good().replace("cron(0 6 * * ? *)", "@fortnightly"),
        ["schedule: unknown alias '@fortnightly'; known aliases: @hourly, @daily"],
    ),
    ("not-a-schedule", good().replace("cron(0 6 * * ? *)", "every day"), ["schedule: 'every day' is not a schedule"]),
    (
        "manual-job-with-timezone",
        manual(', timezone="Europe/Berlin"'),
        ["jobs/report.py:3: timezone: set, but the job has no schedule (manual runs only)", "(given: 'Europe/Berlin')"],
    ),
    (
        "unknown-time-zone",
        good(', timezone="Europe/Berln"'),
        ["timezone: unknown time zone 'Europe/Berln'; use an IANA name"],
    ),
    # timeout and retries
    (
        "timeout-zero",
        manual("").replace('timeout="30m"', "timeout=0"),
        ["jobs/report.py:3: timeout: must be longer than zero seconds", "(given: 0)"],
    ),
    (
        "timeout-zero-minutes",
        manual("").replace('timeout="30m"', 'timeout="0m"'),
        ["timeout: must be longer than zero seconds"],
    ),
    (
        "timeout-negative",
        manual("").replace('timeout="30m"', "timeout=-60"),
        ["timeout: must be longer than zero seconds", "(given: -60)"],
    ),
    (
        "timeout-unparsable",
        manual("").replace('timeout="30m"', 'timeout="10 mins"'),
        ["jobs/report.py:3: timeout: '10 mins' is not a duration: write e.g. '90s', '45m'", "(given: '10 mins')"],
    ),
    (
        "timeout-not-a-duration-type",
        manual("").replace('timeout="30m"', "timeout=1.5"),
        ["timeout: expected a duration such as '45m'"],
    ),
    (
        "timeout-over-a-year",
        manual("").replace('timeout="30m"', 'timeout="366d"'),
        ["timeout: 366d with 0 retries needs up to 366d", "Step Functions allows at most 365d per execution"],
    ),
    (
        "timeout-over-a-year-with-retries",
        manual(", retries=3").replace('timeout="30m"', 'timeout="100d"'),
        ["timeout: 100d with 3 retries needs up to 400d", "(given: '100d')"],
    ),
    (
        "retries-negative",
        manual(", retries=-1"),
        ["retries.attempts: Input should be greater than or equal to 0 (given: -1)"],
    ),
    (
        "retries-absurd",
        manual(", retries=1000"),
        ["retries.attempts: Input should be less than or equal to 10 (given: 1000)"],
    ),
    ("retries-not-a-number", manual(', retries="3"'), ["retries: give a number of retries, e.g. 2, or a dict such as"]),
    (
        "backoff-rate-below-one",
        manual(', retries={"attempts": 2, "backoff_rate": 0.5}'),
        ["retries.backoff_rate: Input should be greater than or equal to 1 (given: 0.5)"],
    ),
    # resources, command, environment, secrets
    (
        "cpu-not-fargate",
        manual(", cpu=300"),
        ["cpu: not a Fargate cpu size; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384", "(given: 300)"],
    ),
    (
        "memory-not-offered-with-cpu",
        manual(", cpu=256, memory=4096"),
        ["memory: Fargate has no 4096 MiB with cpu=256; allowed: 512, 1024, 2048"],
    ),
    ("memory-off-the-step", manual(", cpu=1024, memory=2500"), ["allowed: 2048 to 8192 in steps of 1024"]),
    (
        "command-empty",
        manual("").replace('command=["python", "-m", "app.report"]', "command=[]"),
        [
            "command: List should have at least 1 item, not 0, "
            "e.g. ['python', '-m', 'app.tasks.nightly_report'] (given: [])"
        ],
    ),
    (
        "command-a-string",
        manual("").replace('command=["python", "-m", "app.report"]', 'command="python -m app.report"'),
        ["command: Input should be a valid list, e.g. ['python'", "(given: 'python -m app.report')"],
    ),
    (
        "command-not-all-strings",
        manual("").replace('"app.report"]', '"app.report", 5]'),
        ["command[3]: Input should be a valid string; quote it: '5' (given: 5)"],
    ),
    (
        "command-empty-string",
        manual("").replace('"app.report"]', '"app.report", ""]'),
        ["command[3]: String should have at least 1 character"],
    ),
    (
        "environment-value-not-a-string",
        manual(', environment={"PORT": 8080}'),
        ["jobs/report.py:3: environment.PORT: Input should be a valid string; quote it: '8080' (given: 8080)"],
    ),
    (
        "environment-bad-name",
        manual(', environment={"1PORT": "8080"}'),
        ["environment.1PORT: not an environment variable name"],
    ),
    (
        "secret-not-a-reference",
        manual(', secrets={"DB_PASSWORD": "hunter2"}'),
        [
            "secrets.DB_PASSWORD: is not a secret reference (value not shown, in case it is the secret itself): "
            "give an SSM parameter name"
        ],
    ),
    (
        "secret-arn-of-another-service",
        manual(', secrets={"DB": "arn:aws:s3:::bucket/key"}'),
        ["secrets.DB: 'arn:aws:s3:::bucket/key' is neither an SSM parameter ARN"],
    ),
    (
        "secret-also-in-environment",
        manual(', environment={"DB": "x"}, secrets={"DB": "/app/db"}'),
        ["jobs/report.py:3: secrets.DB: also set in environment; set each variable in one place"],
    ),
    # permissions
    (
        "permission-for-every-action",
        manual(', permissions=[{"actions": ["*"], "resources": ["*"]}]'),
        [
            "jobs/report.py:3: permissions[0].actions[0]: grants every action of every service; name the actions, "
            "e.g. 's3:PutObject' (given: '*')"
        ],
    ),
    (
        "permission-action-without-service",
        manual(', permissions=[{"actions": ["PutObject"], "resources": ["*"]}]'),
        ["permissions[0].actions[0]: not an IAM action: write 'service:Action'", "(given: 'PutObject')"],
    ),
    (
        "permission-resource-not-an-arn",
        manual(', permissions=[{"actions": ["s3:PutObject"], "resources": ["reports-bucket"]}]'),
        ["permissions[0].resources[0]: not an ARN: write e.g. 'arn:aws:s3:::reports-bucket/*'"],
    ),
    (
        "permission-without-resources",
        manual(', permissions=[{"actions": ["s3:PutObject"]}]'),
        ["permissions[0].resources: required but not given, e.g. ['arn:aws:s3:::reports-bucket/*']"],
    ),
    (
        "permission-field-misspelt",
        manual(', permissions=[{"action": ["s3:PutObject"], "resources": ["*"]}]'),
        ["jobs/report.py:3: permissions[0].action: unknown field; did you mean 'actions'?"],
    ),
    (
        "permissions-not-a-list",
        manual(', permissions={"actions": ["s3:PutObject"], "resources": ["*"]}'),
        ["permissions: Input should be a valid list, e.g. [{'actions': ['s3:PutObject']"],
    ),
    (
        "permissions-too-long-for-iam",
        manual(
            ', permissions=[{"actions": ["s3:GetObject"], "resources": [f"arn:aws:s3:::b/{i}" for i in range(500)]}]'
        ),
        ["permissions: too long for the task role's inline policy (IAM allows 10,240 characters per role)"],
    ),
    # other fields
    ("enabled-not-a-bool", manual(', enabled="yes"'), ["enabled: Input should be a valid boolean (given: 'yes')"]),
    (
        "concurrency-unknown",
        manual(', concurrency="queue"'),
        ["concurrency: Input should be 'forbid', 'replace' or 'allow' (given: 'queue')"],
    ),
]


@pytest.mark.parametrize(("text", "fragments"), [pytest.param(t, f, id=i) for i, t, f in JOB_MODULE_CASES])
def test_bad_job_module_gets_one_clear_message_and_nothing_is_deployed(
    project: Project, text: str, fragments: list[str]
) -> None:
    project.add_job("report.py", text)
    assert_rejected_everywhere(project, BASE_CONFIG, fragments)


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
            "(see README 'Stack settings')"
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
        [f"{CONFIG_FILE}: scheduled-jobs:jobs.report.schedule: cron(0 6 * * *) has 5 fields"],
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


def test_two_modules_with_the_same_job_name_are_both_named(project: Project) -> None:
    project.add_job("report.py", good())
    project.add_job("report_copy.py", good(', name="report"'))
    assert_rejected_everywhere(
        project, BASE_CONFIG, ["jobs/report.py:3 and jobs/report_copy.py:3: name: both modules are the job 'report'"]
    )


def test_file_name_that_makes_no_valid_job_name_says_how_to_fix_it(project: Project) -> None:
    project.add_job("Report.py", good())
    assert_rejected_everywhere(
        project,
        BASE_CONFIG,
        ["jobs/Report.py:3: name: the file name gives the job name 'Report', which is not valid", "set name="],
    )


def test_secret_pasted_instead_of_a_reference_is_never_echoed(project: Project) -> None:
    project.add_job("report.py", manual(', secrets={"DB_PASSWORD": "s3cr3t-Hunter2"}'))
    [message] = assert_rejected_everywhere(project, BASE_CONFIG, ["secrets.DB_PASSWORD: is not a secret reference"])
    assert "s3cr3t-Hunter2" not in message
    assert "s3cr3t-Hunter2" not in str(run_program(project, BASE_CONFIG, capture_error=True).error)


def test_empty_jobs_folder_is_a_clear_message_not_a_crash(project: Project) -> None:
    project.add_job("_helpers.py", "COMMAND = ['python', '-m', 'app.report']\n")
    assert_rejected_everywhere(
        project, BASE_CONFIG, ["jobs/: no job modules found (files starting with '_' are helpers, not jobs)"]
    )


def test_helpers_module_is_no_job_and_each_project_imports_its_own(tmp_path: Path) -> None:
    from tests.pulumi_mocks import make_project

    commands = []
    for name in ("one", "two"):
        project = make_project(tmp_path / name)
        project.add_job("_helpers.py", f"COMMAND = ['python', '-m', 'app.{name}']\n")
        project.add_job(
            "report.py",
            "from components import Job\nfrom jobs._helpers import COMMAND\n\n"
            "job = Job(command=COMMAND, timeout='30m')\n",
        )
        stack = load_stack(project.jobs, BASE_CONFIG, "scheduled-jobs", "test", CONFIG_FILE)
        assert [job.name for job in stack.jobs] == ["report"]
        commands.append(stack.jobs[0].spec.command)
    assert commands == [["python", "-m", "app.one"], ["python", "-m", "app.two"]]


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
        "config:\n  aws:region: eu-central-1\n  scheduled-jobs:image: app:1\n"
        "  scheduled-jobs:securityGroups: [sg-0123456789abcdef0]\n",
    )
    out = project.root / "build"
    assert plan.main(["--stack", "test", "--root", str(project.root), "--out", str(out)]) == 1
    printed = capsys.readouterr().err
    assert "2 problems found; nothing was deployed:" in printed
    assert "  - Pulumi.test.yaml: scheduled-jobs:subnets: required but not given" in printed
    assert "  - jobs/report.py:3: timeout: '10 mins' is not a duration" in printed
    assert not out.exists()
    config = {"aws:region": "eu-central-1", P + "image": "app:1", P + "securityGroups": ["sg-0123456789abcdef0"]}
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
