"""The plan shows each scheduled job's deadline rule, its next deadlines, and what DST does to its slots."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import plan
from tests.support.pulumi_mocks import BASE_CONFIG

JOBS = {
    # 30m, no retries: 2h8m30s per execution, so each deadline is 2h23m30s after its slot.
    "berlin_night.py": 'job = Job(schedule="cron(30 2 * * ? *)", timezone="Europe/Berlin", command=["x"], '
    'timeout="30m")',
    "late_night.py": 'job = Job(schedule="cron(0 23 * * ? *)", command=["x"], timeout="30m")',
    "purge.py": 'job = Job(schedule="rate(6 hours)", command=["x"], timeout="30m")',
    "by_hand.py": 'job = Job(command=["x"], timeout="30m")',
    "switched_off.py": 'job = Job(schedule="cron(0 6 * * ? *)", command=["x"], timeout="30m", enabled=False)',
}


# Where a 30m job's deadline comes from (components/model/deadlines.py deadline_origin).
ORIGIN = (
    "the deadline waits for the longest execution: 4 attempts of up to 30m (the run, 3 start retries) and 8m30s of "
    'waits and lock steps, then 15m grace; set missed_after (e.g. missed_after="1h") to hear sooner'
)


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "jobs").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: scheduled-jobs\nruntime: python\n")
    (root / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": BASE_CONFIG}))
    for name, body in JOBS.items():
        (root / "jobs" / name).write_text(f"from components import Job\n\n{body}\n")
    return root


def test_plan_prints_the_deadline_rule_next_deadlines_dst_notes_and_the_yearly_skip_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    argv = ["--stack", "test", "--root", str(root), "--out", str(tmp_path / "build"), "--now", "2026-10-01T00:00Z"]
    assert plan.main(argv) == 0
    out = capsys.readouterr().out
    deadlines = out.split("\ndeadlines (times in each job's time zone):\n")[1].split("\n\nwrote ")[0]
    assert deadlines.splitlines() == [
        "berlin-night: each slot must succeed within 2h23m30s (execution timeout 2h8m30s + 15m grace); "
        "late if not started 5m after the slot",
        f"berlin-night: {ORIGIN}",
        "berlin-night: deadlines 2026-10-01 04:53:30 (slot 02:30), 2026-10-02 04:53:30 (slot 02:30), "
        "2026-10-03 04:53:30 (slot 02:30)",
        "berlin-night: the 02:30 run on 2026-10-25 happens twice on the wall clock in Europe/Berlin; AWS runs it once",
        "berlin-night: the 02:30 run on 2027-03-28 does not exist in Europe/Berlin; AWS skips it",
        "warning: jobs/berlin_night.py: the 02:30 run falls in the hour Europe/Berlin skips every spring "
        "(last Sunday of March): that day has no run",
        "late-night: each slot must succeed within 2h23m30s (execution timeout 2h8m30s + 15m grace); "
        "late if not started 5m after the slot",
        f"late-night: {ORIGIN}",
        "late-night: deadlines 2026-10-02 01:23:30 (slot 2026-10-01 23:00), 2026-10-03 01:23:30 (slot 2026-10-02 "
        "23:00), 2026-10-04 01:23:30 (slot 2026-10-03 23:00)",
        "purge: each slot must succeed within 2h23m30s (execution timeout 2h8m30s + 15m grace); "
        "late if not started 5m after the slot",
        f"purge: {ORIGIN}",
        # purge.py: rate(6 hours), deployed as cron(27 4/6 * * ? *) in UTC (its name's phase: 4h27m).
        "purge: deadlines 2026-10-01 06:50:30 (slot 04:27), 2026-10-01 12:50:30 (slot 10:27), "
        "2026-10-01 18:50:30 (slot 16:27)",
    ]


def test_plan_table_has_a_deadline_column_instead_of_the_missed_run_alarm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    assert plan.main(["--stack", "test", "--root", str(root), "--out", str(tmp_path / "build")]) == 0
    header, _, *rows = capsys.readouterr().out.splitlines()[1 : 3 + len(JOBS)]
    assert header.split()[-1] == "deadline"
    assert "missed-run" not in header
    by_job = {row.split()[0]: row for row in rows}
    assert by_job["berlin-night"].endswith("  slot + 2h23m30s, late 5m")
    assert by_job["by-hand"].endswith("  none: manual runs only")
    assert by_job["switched-off"].endswith("  none: job disabled")


def test_plan_names_both_zones_when_the_clocks_go_back_between_a_slot_and_its_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 2026-10-25 02:30 CEST is 00:30 UTC; 2h23m30s later is 02:53:30 UTC, 03:53:30 CET.
    root = _project(tmp_path)
    argv = ["--stack", "test", "--root", str(root), "--out", str(tmp_path / "build"), "--now", "2026-10-24T12:00Z"]
    assert plan.main(argv) == 0
    assert (
        "berlin-night: deadlines 2026-10-25 03:53:30 CET (slot 02:30 CEST), 2026-10-26 04:53:30 (slot 02:30), "
        "2026-10-27 04:53:30 (slot 02:30)\n"
    ) in capsys.readouterr().out


def test_plan_shows_a_rates_cron_and_next_runs_and_warns_of_a_start_pileup_with_the_quota(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    for n in range(101):
        (root / "jobs" / f"nightly_{n:03}.py").write_text(
            'from components import Job\n\njob = Job(schedule="cron(0 6 * * ? *)", command=["x"], timeout="30m")\n'
        )
    argv = ["--stack", "test", "--root", str(root), "--out", str(tmp_path / "build"), "--now", "2026-10-01T00:00Z"]
    assert plan.main(argv) == 0
    out = capsys.readouterr().out
    assert "every 6 hours [rate(6 hours) as cron(27 4/6 * * ? *) in UTC]" in out  # purge.py: rate(6 hours)
    assert "2026-10-01 04:27, 2026-10-01 10:27, 2026-10-01 16:27" in out
    # 101 new jobs at 06:00 UTC, and switched_off.py's 06:00 is disabled: not counted.
    assert "warning: 101 jobs start in the same minute, 2026-10-01 06:00 UTC (nightly-000, nightly-001" in out
    assert "Fargate launches at most 100 tasks at once" in out
