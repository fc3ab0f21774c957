"""LockJanitor: the shared state machine that releases the lock of a job execution that ended badly, the
EventBridge rule that starts it, and their roles."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.documents import policies
from components.documents import rendered as render
from components.documents.lock_janitor import janitor_event_pattern, start_janitor_policy
from components.model.arns import AwsEnv
from components.model.naming import SharedNames
from components.model.stack import Stack
from components.resources.iam_role import service_role, sorted_json

TYPE = "scheduled-jobs:jobs:LockJanitor"


@dataclass(frozen=True)
class LockJanitorArgs:
    """The stack (for the jobs whose locks it may release) and the shared pieces it runs with."""

    stack: Stack
    env: AwsEnv
    names: SharedNames
    lock_table: aws.dynamodb.Table
    log_destination: pulumi.Input[str]
    tags: dict[str, str]
    # Where its resources lived before the janitor was a component of its own: the alias keeps their URNs.
    previous_parent: pulumi.Resource


class LockJanitor(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]

    def __init__(self, name: str, args: LockJanitorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        env, names, tags = args.env, args.names, args.tags
        moved = [pulumi.Alias(parent=args.previous_parent)]
        child = pulumi.ResourceOptions(parent=self, aliases=moved)
        documents = render.janitor_documents(args.stack, env)
        role = service_role(
            f"{name}-role",
            name=names.janitor_role,
            description="Lets the lock janitor release locks of executions that ended badly.",
            trust=policies.state_machine_trust(env, names.janitor_state_machine),
            policy=("release-locks", documents.policy),
            tags=tags,
            parent=self,
            aliases=moved,
        )
        machine = aws.sfn.StateMachine(
            name,
            name=names.janitor_state_machine,
            role_arn=role.arn,
            type="STANDARD",
            # Created after the table it writes to (the definition names the table by its known name).
            definition=sorted_json(args.lock_table.name.apply(lambda _: documents.definition)),
            logging_configuration={
                "level": "ERROR",
                "include_execution_data": False,
                "log_destination": args.log_destination,
            },
            tags=tags,
            opts=child,
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            name=names.janitor_rule,
            description="Executions of this stack's jobs that failed, timed out or were stopped.",
            event_pattern=sorted_json(
                janitor_event_pattern(env.arn("states", f"stateMachine:{args.stack.config.name_prefix}-"))
            ),
            tags=tags,
            opts=child,
        )
        events_role = service_role(
            f"{name}-events-role",
            name=names.janitor_events_role,
            description="Lets EventBridge start the lock janitor.",
            trust=policies.events_trust(env, names.janitor_rule),
            policy=("start-janitor", start_janitor_policy(env, names.janitor_state_machine)),
            tags=tags,
            parent=self,
            aliases=moved,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target", rule=rule.name, arn=machine.arn, role_arn=events_role.arn, opts=child
        )
        self.state_machine_arn = machine.arn
        self.register_outputs({"stateMachineArn": machine.arn})
