"""Builds yesterday's usage report and mails it to customers, every morning in Berlin."""

from components import Job

job = Job(
    description="Builds and sends yesterday's usage report",
    schedule="cron(0 6 * * ? *)",
    timezone="Europe/Berlin",
    command=["python", "-m", "app.tasks.nightly_report"],
    timeout="30m",
    retries=2,
    cpu=512,
    memory=1024,
    secrets={"SMTP_PASSWORD": "/app/smtp/password"},
    # What a run may be given (`jobctl run nightly-report --input REPORT_DAY=2026-11-29`): a day to redo.
    inputs={"REPORT_DAY": r"\d{4}-\d{2}-\d{2}"},
    # What the container itself may do in AWS: keep a copy of each report.
    permissions=[{"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::example-usage-reports/*"]}],
)
