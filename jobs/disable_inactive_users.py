"""Disables accounts nobody has signed in to for a year (weekly, Monday morning, New York)."""

from components import Job

job = Job(
    description="Disables users inactive for 365 days",
    schedule="cron(30 7 ? * MON *)",
    timezone="America/New_York",
    command=["python", "-m", "app.tasks.disable_inactive_users", "--inactive-days", "365"],
    timeout="1h",
    environment={"DRY_RUN": "false"},
    secrets={"DATABASE_URL": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:app/database-url-Ab12Cd"},
)
