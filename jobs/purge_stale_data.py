"""Deletes soft-deleted rows and expired exports older than 90 days, every six hours."""

from components import Job

job = Job(
    description="Purges soft-deleted rows and expired exports older than 90 days",
    schedule="rate(6 hours)",
    command=["python", "-m", "app.tasks.purge_stale_data", "--older-than-days", "90"],
    timeout="2h",
    retries={"attempts": 1, "interval": "10m"},
    cpu=1024,
    memory=2048,
    secrets={"DATABASE_URL": "arn:aws:secretsmanager:eu-central-1:123456789012:secret:app/database-url-Ab12Cd"},
)
