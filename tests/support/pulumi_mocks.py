"""Pulumi mocks that record every registered resource and answer with the outputs our code reads."""

from __future__ import annotations

import asyncio
import json
import runpy
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings
from pulumi.runtime.mocks import MockMonitor

ACCOUNT = "123456789012"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"  # what KMS would make up for a key the stack creates
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    parent: str | None
    dependencies: list[str]  # URNs the engine must create first (from Outputs in the inputs and depends_on)
    urn: str = ""  # as the mock monitor makes it (its parent part is only the parent's own type)
    aliases: list[Any] = field(default_factory=list)  # the request's alias specs (pulumi alias_pb2.Alias)
    # The request's resource options the engine acts on: protect, retain_on_delete, the delete timeout.
    options: dict[str, Any] = field(default_factory=dict)


def _arn(typ: str, name: str, inputs: dict[str, Any], region: str) -> str:
    physical = inputs.get("name") or inputs.get("family") or name
    arns = {
        "aws:dynamodb/table:Table": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{physical}",
        "aws:sns/topic:Topic": f"arn:aws:sns:{region}:{ACCOUNT}:{physical}",
        "aws:ecs/cluster:Cluster": f"arn:aws:ecs:{region}:{ACCOUNT}:cluster/{physical}",
        "aws:iam/role:Role": f"arn:aws:iam::{ACCOUNT}:role/{physical}",
        "aws:sfn/stateMachine:StateMachine": f"arn:aws:states:{region}:{ACCOUNT}:stateMachine:{physical}",
        "aws:ecs/taskDefinition:TaskDefinition": f"arn:aws:ecs:{region}:{ACCOUNT}:task-definition/{physical}:1",
        "aws:cloudwatch/logGroup:LogGroup": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{physical}",
        "aws:scheduler/scheduleGroup:ScheduleGroup": f"arn:aws:scheduler:{region}:{ACCOUNT}:schedule-group/{physical}",
        "aws:sqs/queue:Queue": f"arn:aws:sqs:{region}:{ACCOUNT}:{physical}",
    }
    return arns.get(typ, f"arn:aws:mock:{region}:{ACCOUNT}:{typ.split(':')[-1].lower()}/{physical}")


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, region: str) -> None:
        self.region = region
        self.resources: list[Registered] = []
        # Registrations may run on several threads at once: keep the parent per thread.
        self.registering = threading.local()
        self.exports: dict[str, Any] = {}
        self.error: BaseException | None = None

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        registering = self.registering
        self.resources.append(
            Registered(
                args.typ,
                args.name,
                inputs,
                getattr(registering, "parent", None),
                getattr(registering, "dependencies", []),
                getattr(registering, "urn", ""),
                getattr(registering, "aliases", []),
                getattr(registering, "options", {}),
            )
        )
        state = {**inputs, "arn": _arn(args.typ, args.name, inputs, self.region)}
        state.setdefault("name", inputs.get("name", args.name))
        if args.typ == "aws:ecs/taskDefinition:TaskDefinition":
            state["revision"] = 1
        if args.typ == "aws:kms/key:Key":  # KMS picks the key id; the ARN carries it
            state["keyId"] = KEY_ID
            state["arn"] = f"arn:aws:kms:{self.region}:{ACCOUNT}:key/{KEY_ID}"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "userId": "ci", "id": ACCOUNT}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        return {}, []

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, name: str) -> Registered:
        matches = [r for r in self.resources if r.type == typ and r.name == name]
        assert len(matches) == 1, f"expected one {typ} named {name}, found {[r.name for r in self.of_type(typ)]}"
        return matches[0]


class ParentRecordingMonitor(MockMonitor):
    """MockResourceArgs carries no parent or dependencies; the register request does, so note them."""

    mocks: RecordingMocks

    def RegisterResource(self, request: Any) -> Any:
        self.mocks.registering.parent = request.parent or None
        self.mocks.registering.dependencies = list(request.dependencies)
        self.mocks.registering.urn = self.make_urn(request.parent, request.type, request.name)
        self.mocks.registering.aliases = list(request.aliases)
        self.mocks.registering.options = {
            "protect": bool(request.protect),
            "retain_on_delete": bool(request.retainOnDelete),
            "delete_timeout": request.customTimeouts.delete or None,
        }
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


@dataclass
class Project:
    """A temporary copy of the program with its own jobs/ folder."""

    root: Path
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def jobs(self) -> Path:
        return self.root / "jobs"

    def add_job(self, filename: str, body: str) -> Path:
        path = self.jobs / filename
        path.write_text(body)
        return path


def make_project(tmp: Path) -> Project:
    root = tmp / "project"
    (root / "jobs").mkdir(parents=True)
    shutil.copy(REPO / "__main__.py", root / "__main__.py")
    return Project(root)


BASE_CONFIG: dict[str, Any] = {
    "aws:region": "eu-central-1",
    "scheduled-jobs:namePrefix": "test",
    "scheduled-jobs:image": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:1.0",
    "scheduled-jobs:subnets": ["subnet-0123456789abcdef0"],
    "scheduled-jobs:securityGroups": ["sg-0123456789abcdef0"],
    "scheduled-jobs:alarmEmails": ["oncall@example.com"],
}


def run_program(
    project: Project, config: dict[str, Any], stack: str = "test", capture_error: bool = False
) -> RecordingMocks:
    """Run the project's __main__.py under fresh mocks and config; return what it registered.

    Fresh event loop and root resource per run (pulumi/pulumi#8280, stelvio PR #273)."""
    asyncio.set_event_loop(asyncio.new_event_loop())
    settings.ROOT.set(None)
    mocks = RecordingMocks(region=str(config.get("aws:region", "eu-central-1")))
    pulumi.runtime.set_mocks(
        mocks, project="scheduled-jobs", stack=stack, preview=False, monitor=ParentRecordingMonitor(mocks)
    )
    pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> pulumi.Output[Any]:
        runpy.run_path(str(project.root / "__main__.py"), run_name="__main__")
        root = settings.get_root_resource()
        outputs = getattr(root, "outputs", {})
        return pulumi.Output.from_input(outputs).apply(mocks.exports.update)

    try:
        program()
    except Exception as error:  # the program's own error, e.g. pulumi.RunError listing setup problems
        if not capture_error:
            raise
        mocks.error = error
    return mocks
