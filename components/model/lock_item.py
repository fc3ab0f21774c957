"""The lock item a job's state machine keeps in the stack's DynamoDB table, by attribute name.

{LockId: job name, ExecutionArn: holder, AcquiredAt: ISO time, ExpiresAt: epoch seconds}. Plain names
shared by the state machines, the janitor and jobctl."""

# Lock item attributes. Avoid DynamoDB reserved words (OWNER is one), so no ExpressionAttributeNames.
LOCK_KEY = "LockId"
LOCK_HOLDER = "ExecutionArn"
LOCK_ACQUIRED_AT = "AcquiredAt"
LOCK_EXPIRES_AT = "ExpiresAt"  # epoch seconds; also the table's TTL attribute
