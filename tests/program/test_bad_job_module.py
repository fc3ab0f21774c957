"""Every mistake a user can make in a job module: one clear message naming the file and field, nothing
deployed.

Each case runs twice (tests/support/bad_input.py): through the pure loader (what plan.py uses) and through the
Pulumi program under mocks, which must fail with the same message before registering a single resource."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.loading.stack import load_stack
from tests.support.bad_input import CONFIG_FILE, assert_rejected_everywhere, good, manual, module, problems
from tests.support.pulumi_mocks import BASE_CONFIG, Project, run_program

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
        [
            "jobs/report.py:3: schedule: 'cron(0 6 * * *)' is a five-field crontab expression; AWS cron has six",
            "write cron(0 6 * * ? *)",
            "(given: 'cron(0 6 * * *)')",
        ],
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
        ["schedule: cron(0 24 * * ? *): hours: '24' is outside 0-23; allowed: 0-23 with , - * /"],
    ),
    (
        "cron-minute-out-of-range",
        good().replace("cron(0 6 * * ? *)", "cron(60 6 * * ? *)"),
        ["minutes: '60' is outside 0-59; allowed: 0-59"],
    ),
    (
        "cron-day-of-week-out-of-range",
        good().replace("cron(0 6 * * ? *)", "cron(0 6 ? * 0 *)"),
        ["day-of-week: '0' is outside 1-7; allowed: 1-7 or SUN-SAT"],
    ),
    (
        "cron-one-bad-item-of-a-list",
        good().replace("cron(0 6 * * ? *)", "cron(0 12,15,18,21,24 * * ? *)"),
        ["hours: '24' is outside 0-23; allowed: 0-23 with , - * /"],
    ),
    (
        "cron-two-bad-items-of-a-list",
        good().replace("cron(0 6 * * ? *)", "cron(0,60,75 6 * * ? *)"),
        ["minutes: '60', '75' are outside 0-59"],
    ),
    (
        "cpu-and-memory-both-wrong",
        manual(", cpu=300, memory=3000"),
        ["cpu: not a Fargate cpu size; allowed: 256, 512", "memory=3000 MiB is not offered with any cpu either"],
    ),
    (
        "cpu-wrong-memory-fits-others",
        manual(", cpu=300, memory=4096"),
        ["cpu: not a Fargate cpu size;", "memory=4096 goes with cpu 512, 1024"],
    ),
    (
        "cron-year-out-of-range",
        good().replace("cron(0 6 * * ? *)", "cron(0 6 * * ? 1969)"),
        ["year: '1969' is outside 1970-2199; allowed: 1970-2199"],
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
        "missed-after-before-late-after",
        good(', missed_after="3m"'),
        ["jobs/report.py:3: missed_after: 3m is not after late_after (5m)", "(given: '3m')"],
    ),
    (
        "missed-after-without-a-schedule",
        manual(', missed_after="1h"'),
        ["jobs/report.py:3: missed_after: set, but the job has no schedule (manual runs only)"],
    ),
    (
        "five-field-crontab-weekdays",
        good().replace("cron(0 6 * * ? *)", "0 9 * * 1-5"),
        ["'0 9 * * 1-5' is a five-field crontab expression", "write cron(0 9 ? * MON-FRI *)"],
    ),
    (
        "rate-no-cron-repeats",
        good().replace("cron(0 6 * * ? *)", "rate(7 minutes)"),
        [
            "'rate(7 minutes)': a rate's slots start when EventBridge Scheduler creates",
            "no cron repeats every 7 minutes exactly",
            "(nearest: rate(6 minutes) or rate(10 minutes))",
        ],
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
        [
            "timeout: 366d with 0 retries needs up to 1464d8m30s per execution (4 attempts of up to 366d: the run, "
            "its retries, 3 start retries; and the waits); Step Functions allows at most 365d per execution",
        ],
    ),
    (
        # The rule, at its edge: 4 attempts of 92 days do not fit in a year (91 days do: tests/support).
        "timeout-whose-attempts-pass-a-year",
        manual("").replace('timeout="30m"', 'timeout="92d"'),
        ["timeout: 92d with 0 retries needs up to 368d8m30s per execution (4 attempts", "(given: '92d')"],
    ),
    (
        "timeout-over-a-year-with-retries",
        manual(", retries=3").replace('timeout="30m"', 'timeout="100d"'),
        ["timeout: 100d with 3 retries needs up to 700d", "(given: '100d')"],
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
            "command: empty: leave command out to run the image's own CMD, or give the program and its arguments, "
            "e.g. ['python', '-m', 'app.report'] (given: [])"
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
    from tests.support.pulumi_mocks import make_project

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


# Every reference-shaped job field: how to write it into a module (VALUE stands for the value), and a valid
# value. A check that only looks at the start of a value lets "valid value + anything" through.
REFERENCE_FIELDS = {
    "name": ('name="VALUE"', "report", "name: "),
    "environment name": ('environment={"VALUE": "1"}', "DB_HOST", "environment."),
    "secret SSM name": ('secrets={"DB": "VALUE"}', "/app/db-password", "secrets.DB: "),
    "secret SSM ARN": (
        'secrets={"DB": "VALUE"}',
        "arn:aws:ssm:eu-central-1:123456789012:parameter/app/db",
        "secrets.DB: ",
    ),
    "secret Secrets Manager ARN": (
        'secrets={"DB": "VALUE"}',
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:app/db-AbCdEf",
        "secrets.DB: ",
    ),
    "permission action": ('permissions=[{"actions": ["VALUE"], "resources": ["*"]}]', "s3:PutObject", "permissions"),
    "timeout": ('timeout="VALUE"', "30m", "timeout: "),
    "timezone": ('schedule="cron(0 6 * * ? *)", timezone="VALUE"', "Europe/Berlin", "timezone: "),
}
JOB_TRAILERS = {"space": " x", "bang": "!", "colon": ":x:y:z:w"}


@pytest.mark.parametrize("trailer", JOB_TRAILERS.values(), ids=JOB_TRAILERS.keys())
@pytest.mark.parametrize("field", REFERENCE_FIELDS)
def test_a_job_field_with_text_after_a_valid_value_is_rejected_whole(
    project: Project, field: str, trailer: str
) -> None:
    template, valid, where = REFERENCE_FIELDS[field]
    fields = "" if field == "timeout" else ', timeout="30m"'

    def job(value: str) -> str:
        return module(f'command=["python", "-m", "app.report"]{fields}, ' + template.replace("VALUE", value))

    project.add_job("report.py", job(valid))
    assert problems(project, BASE_CONFIG) == []  # the value itself is fine
    project.add_job("report.py", job(valid + trailer))
    assert_rejected_everywhere(project, BASE_CONFIG, ["jobs/report.py:3: ", where])
