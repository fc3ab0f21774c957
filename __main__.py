"""The Pulumi program: every module in jobs/ becomes a scheduled, locked, monitored Fargate job."""

from pathlib import Path

import pulumi

from components.loading.iam_action_data import stack_permission_warnings
from components.loading.stack import load_stack
from components.model.errors import InvalidSetup
from components.resources.garbage_collection import collect_old_objects_rarely
from components.resources.pulumi_config import stack_config_values
from components.resources.scheduled_job import ScheduledJob, ScheduledJobArgs
from components.resources.shared import SharedInfra, SharedInfraArgs

JOBS_DIR = Path(__file__).resolve().parent / "jobs"
collect_old_objects_rarely()  # hundreds of jobs declare thousands of resources that live until the end

# 1. Validate the stack config and every job module before a single resource is registered.
try:
    stack = load_stack(
        JOBS_DIR, stack_config_values(), pulumi.get_project(), pulumi.get_stack(), f"Pulumi.{pulumi.get_stack()}.yaml"
    )
except InvalidSetup as problems:
    raise pulumi.RunError(str(problems)) from None
for line in stack_permission_warnings(stack):  # what plan.py warns about, in `pulumi preview` too
    if line.startswith("warning: "):
        pulumi.log.warn(line.removeprefix("warning: "))
    else:
        pulumi.log.info(line)

# 2. The pieces every job shares, built once.
shared = SharedInfra("shared", SharedInfraArgs(stack))

# 3. One ScheduledJob per job module.
jobs = {job.name: ScheduledJob(job.name, ScheduledJobArgs(job, stack, shared)) for job in stack.jobs}

# 4. What operators need: `pulumi stack output jobs`.
pulumi.export(
    "jobs",
    {name: {"stateMachineArn": j.state_machine_arn, "scheduleName": j.schedule_name} for name, j in jobs.items()},
)
pulumi.export("namePrefix", stack.config.name_prefix)  # `jobctl --stack` finds the stack's resources by it
pulumi.export("lockTableName", shared.lock_table_name)
pulumi.export("alarmTopicArn", shared.alarm_topic_arn)
