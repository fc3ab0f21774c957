"""Record a program's resource graph under Pulumi mocks: every resource's type, URN identity, aliases, inputs,
references and protect/retain options, as plain JSON-ready dicts.

Imports only pulumi and the standard library, so it can record any checkout of this program (an older commit's
tree in a subprocess: `python resource_graph_recorder.py --root TREE --out graph.json`), not only its own.
The graph's shape is read by components/model/resource_graph.py."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import runpy
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings
from pulumi.runtime.mocks import MockMonitor

ACCOUNT = "123456789012"
PROJECT = "scheduled-jobs"
STACK = "graph"
COMPONENT_JOB = "scheduled-jobs:jobs:ScheduledJob"
_ARN = re.compile(r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d*:[A-Za-z0-9_./:#@+=,-]+")
INLINE_LIMIT = 160  # longer inputs (definitions, policies) are kept as a digest: a change still shows

# The machinery the graph covers (not a user's job list): one job of each kind the program builds differently.
# Written with the fields every version since `permissions` (a7952d1) accepts, so older trees can record it too.
MACHINERY_JOBS: dict[str, str] = {
    "cron_job.py": (
        "from components import Job\n\n"
        'job = Job(schedule="cron(0 6 * * ? *)", timezone="Europe/Berlin", command=["python", "-m", "app.a"], '
        'timeout="30m")\n'
    ),
    "rate_job_with_permissions.py": (
        "from components import Job\n\n"
        'job = Job(schedule="rate(6 hours)", command=["python", "-m", "app.b"], timeout="2h", retries=1,\n'
        '          permissions=[{"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::example-bucket/*"]}])\n'
    ),
}
MACHINERY_CONFIG: dict[str, Any] = {
    "aws:region": "eu-central-1",
    "scheduled-jobs:namePrefix": "graph",
    "scheduled-jobs:image": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:1.0",
    "scheduled-jobs:subnets": ["subnet-0123456789abcdef0"],
    "scheduled-jobs:securityGroups": ["sg-0123456789abcdef0"],
    "scheduled-jobs:alarmEmails": ["oncall@example.com"],
    "scheduled-jobs:logRetentionDays": 14,
}

# The settings the program builds differently on, each a variant the kept release graph holds: the defaults (own
# cluster, e-mail topic, dead-letter queue), and a stack on an existing cluster and topic, no dead-letter queue,
# with the self-test's canary jobs.
MACHINERY_VARIANTS: dict[str, dict[str, Any]] = {
    "default": MACHINERY_CONFIG,
    "existing-cluster-and-topic-self-test": {
        **{key: value for key, value in MACHINERY_CONFIG.items() if key != "scheduled-jobs:alarmEmails"},
        "scheduled-jobs:clusterArn": "arn:aws:ecs:eu-central-1:123456789012:cluster/shared",
        "scheduled-jobs:alarmTopicArn": "arn:aws:sns:eu-central-1:123456789012:ops-alarms",
        "scheduled-jobs:scheduleDeadLetterQueue": False,
        "scheduled-jobs:selfTest": True,
    },
}

_ARN_FORMATS = {
    "aws:dynamodb/table:Table": "arn:aws:dynamodb:{region}:{account}:table/{name}",
    "aws:sns/topic:Topic": "arn:aws:sns:{region}:{account}:{name}",
    "aws:ecs/cluster:Cluster": "arn:aws:ecs:{region}:{account}:cluster/{name}",
    "aws:iam/role:Role": "arn:aws:iam::{account}:role/{name}",
    "aws:sfn/stateMachine:StateMachine": "arn:aws:states:{region}:{account}:stateMachine:{name}",
    "aws:ecs/taskDefinition:TaskDefinition": "arn:aws:ecs:{region}:{account}:task-definition/{name}:1",
    "aws:cloudwatch/logGroup:LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws:scheduler/scheduleGroup:ScheduleGroup": "arn:aws:scheduler:{region}:{account}:schedule-group/{name}",
    "aws:sqs/queue:Queue": "arn:aws:sqs:{region}:{account}:{name}",
}


def _arn(typ: str, name: str, inputs: dict[str, Any], region: str) -> str:
    """The ARN AWS would give the resource: the same string the program writes by known names."""
    physical = inputs.get("name") or inputs.get("family") or name
    default = "arn:aws:mock:{region}:{account}:" + typ.split(":")[-1].lower() + "/{name}"
    return _ARN_FORMATS.get(typ, default).format(region=region, account=ACCOUNT, name=physical)


class _Recording(pulumi.runtime.Mocks):
    def __init__(self, region: str) -> None:
        self.region = region
        self.requests: dict[str, dict[str, Any]] = {}  # mock URN -> what the register request said
        self.rows: list[dict[str, Any]] = []
        self.local = threading.local()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        arn = _arn(args.typ, args.name, inputs, self.region)
        self.rows.append({"request": getattr(self.local, "request", {}), "inputs": inputs, "arn": arn})
        state = {**inputs, "arn": arn}
        state.setdefault("name", inputs.get("name", args.name))
        if args.typ == "aws:ecs/taskDefinition:TaskDefinition":
            state["revision"] = 1
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "userId": "ci", "id": ACCOUNT}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        return {}, []


class _Monitor(MockMonitor):
    """The register request carries the parent, dependencies, aliases and options; MockResourceArgs does not."""

    recording: _Recording

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        noted = {
            "urn": urn,
            "type": request.type,
            "name": request.name,
            "parent": request.parent or None,
            "dependencies": list(request.dependencies),
            "aliases": [_alias_spec(alias) for alias in request.aliases],
            "protect": bool(request.protect),
            "retainOnDelete": bool(request.retainOnDelete),
            "custom": bool(request.custom),
        }
        self.recording.requests[urn] = noted
        self.recording.local.request = noted
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


def _alias_spec(alias: Any) -> dict[str, Any]:
    if alias.urn:
        return {"urn": alias.urn}
    spec = alias.spec
    return {"name": spec.name, "type": spec.type, "parentUrn": spec.parentUrn, "noParent": bool(spec.noParent)}


def _canonical(value: Any) -> Any:
    text = json.dumps(value, sort_keys=True, default=str)
    if len(text) <= INLINE_LIMIT:
        return value
    return {"sha256": hashlib.sha256(text.encode()).hexdigest()[:20], "chars": len(text)}


def _graph(recording: _Recording) -> dict[str, Any]:
    requests = recording.requests
    chains: dict[str, list[str]] = {}
    jobs: dict[str, str | None] = {}
    for urn, request in requests.items():  # registration order: a parent is registered before its children
        parent = request["parent"] or ""
        chains[urn] = [*chains.get(parent, []), request["type"]]
        jobs[urn] = request["name"] if request["type"] == COMPONENT_JOB else jobs.get(parent)

    def identity(urn: str) -> str:
        # What a URN is made of besides stack and project (the root stack is in every chain: left out).
        return f"{'$'.join(chains[urn][1:] or chains[urn])}::{requests[urn]['name']}"

    def alias_identity(alias: dict[str, Any], urn: str) -> str:
        if "urn" in alias:  # urn:pulumi:STACK::PROJECT::TYPES::NAME
            return "::".join(str(alias["urn"]).split("::")[2:])
        if alias["noParent"]:
            parent_chain: list[str] = []
        elif alias["parentUrn"]:
            parent_chain = chains.get(alias["parentUrn"], [])
        else:
            parent_chain = chains.get(requests[urn]["parent"] or "", [])
        types = [*parent_chain[1:], alias["type"] or requests[urn]["type"]]
        return f"{'$'.join(types)}::{alias['name'] or requests[urn]['name']}"

    def aliases_of(urn: str) -> list[str]:
        """Its own aliases, and those it inherits from an aliased parent: under the parent's old URN, and with the
        parent's old name in place of the parent's name when its name starts with it, as the engine computes them
        (pulumi/pulumi pkg/resource/deploy/step_generator.go, inheritedChildAlias)."""
        own = [alias_identity(alias, urn) for alias in requests[urn]["aliases"]]
        parent = requests[urn]["parent"]
        if parent not in requests:
            return own
        name, parent_name = requests[urn]["name"], requests[parent]["name"]
        inherited = []
        for alias in aliases_of(parent):
            types, _, old_parent_name = alias.rpartition("::")
            old_name = old_parent_name + name[len(parent_name) :] if name.startswith(parent_name) else name
            inherited.append(f"{types}${requests[urn]['type']}::{old_name}")
        return own + inherited

    arns = {row["request"]["urn"]: row["arn"] for row in recording.rows if row["request"]}
    owners = {arn: urn for urn, arn in arns.items()}
    inputs_of = {row["request"]["urn"]: row["inputs"] for row in recording.rows if row["request"]}
    resources = []
    for urn, request in requests.items():
        inputs: dict[str, Any] = inputs_of.get(urn, {})
        named = _ARN.findall(json.dumps(inputs, default=str))
        mentioned = {owners[arn] for arn in named if arn in owners and owners[arn] != urn}
        depends = {dep for dep in request["dependencies"] if dep in requests}
        resources.append(
            {
                "identity": identity(urn),
                "type": request["type"],
                "name": request["name"],
                "parent": identity(request["parent"]) if request["parent"] in requests else None,
                "job": jobs[urn],
                "aliases": sorted(set(aliases_of(urn))),
                "inputs": {key: _canonical(value) for key, value in sorted(inputs.items())},
                "references": sorted(identity(other) for other in mentioned | depends),
                "dependsOn": sorted(identity(other) for other in depends),
                "protect": request["protect"],
                "retainOnDelete": request["retainOnDelete"],
                "arn": arns.get(urn),
            }
        )
    return {"format": 1, "resources": sorted(resources, key=lambda r: r["identity"])}


def record(
    root: Path, jobs: dict[str, str] | None = None, config: dict[str, Any] | None = None, jobs_dir: Path | None = None
) -> dict[str, Any]:
    """The graph of the program at `root` (its __main__.py and components/) for these job modules (or the
    folder `jobs_dir`, as it is, helpers and all) and stack config (default: the machinery jobs and config
    above). Raises the program's own error if it fails."""
    config = MACHINERY_CONFIG if config is None else config
    jobs = MACHINERY_JOBS if jobs is None else jobs
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch)
        if jobs_dir is not None:
            (project / "jobs").symlink_to(jobs_dir.resolve(), target_is_directory=True)
        else:
            (project / "jobs").mkdir()
            for filename, body in jobs.items():
                (project / "jobs" / filename).write_text(body)
        (project / "__main__.py").write_text((root / "__main__.py").read_text())
        return _run(project / "__main__.py", root, config)


def _run(main: Path, root: Path, config: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.new_event_loop()  # fresh loop and root per run (pulumi/pulumi#8280)
    asyncio.set_event_loop(loop)
    settings.ROOT.set(None)
    recording = _Recording(str(config.get("aws:region", "eu-central-1")))
    monitor = _Monitor(recording)
    monitor.recording = recording
    pulumi.runtime.set_mocks(recording, project=PROJECT, stack=STACK, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    try:
        program()
    finally:
        loop.close()
    return _graph(recording)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="a checkout of this program")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--source", default="", help='what the graph is of, e.g. "release dab75f8"')
    parser.add_argument("--jobs", type=Path, help="a folder of job modules (default: the machinery jobs)")
    parser.add_argument("--config", type=Path, help="a JSON file of stack config values (default: the machinery's)")
    parser.add_argument(
        "--variants", action="store_true", help="every machinery variant, as the kept release graph holds them"
    )
    args = parser.parse_args(argv)
    if args.variants:
        variants = {name: record(args.root.resolve(), config=config) for name, config in MACHINERY_VARIANTS.items()}
        kept = {name: {"resources": graph["resources"]} for name, graph in variants.items()}
        document = {"format": 2, "source": args.source, "variants": kept}
        args.out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        return 0
    if args.jobs and not args.jobs.is_dir():
        parser.error(f"--jobs {args.jobs}: not a folder of job modules")
    if args.config and not args.config.is_file():
        parser.error(f"--config {args.config}: no such file")
    jobs = {path.name: path.read_text() for path in sorted(args.jobs.glob("*.py"))} if args.jobs else None
    config = json.loads(args.config.read_text()) if args.config else None
    graph = {**record(args.root.resolve(), jobs, config), "source": args.source}
    args.out.write_text(json.dumps(graph, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p).resolve() != Path(__file__).resolve().parent]
    sys.exit(main())
