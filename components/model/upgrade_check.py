"""The upgrade check: what one `pulumi up` from graph `before` to graph `after` does to each resource, and
whether it can break a run in flight or lose a job's state.

Each resource is classified create / update (in place) / replace / delete / forget (retain_on_delete: "Pulumi
will not call through to the resource provider's Delete method when deleting or replacing the resource", Pulumi
docs, retainOnDelete: it leaves the stack but stays in AWS) / same, replacement taken from the provider's
ForceNew fields (force_new.py). The check fails on
- a stateful resource (force_new.STATEFUL) replaced or deleted, or a protected one replaced or deleted (the
  preview fails: "unable to replace resource ... as it is currently marked for protection", pulumi/pulumi
  step_generator.go);
- a role, inline policy or task definition that a state machine, schedule or task definition referenced before
  the up, deleted (or replaced) in the same up while that referrer stays: "Running executions will continue to
  use the previous definition and roleArn" (Step Functions API reference, UpdateStateMachine), so a run in
  flight keeps calling with a role that no longer exists. Keep it one release, or keep its identity and change
  its policy in place.
A task definition replaced under the same family is safe: the job's definition names the family, and RunTask
uses "the latest ACTIVE revision" of a family given without a revision (ECS API reference, RunTask)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from components.model.force_new import RUN_DEPENDENCIES, RUN_HOLDERS, STATEFUL, replacing_fields, source_of
from components.model.resource_graph import Graph, GraphResource

ACTIONS = ("create", "update", "replace", "delete", "forget", "same")


@dataclass(frozen=True)
class Change:
    action: str  # one of ACTIONS
    identity: str  # the identity after the up (before, for a delete or forget)
    type: str
    job: str | None
    fields: tuple[str, ...] = ()  # changed inputs; for a replace, the ForceNew ones
    renamed_from: str | None = None  # the old identity an alias matched

    def describe(self) -> str:
        what = f"{self.type.split(':')[-1]} {self.identity.split('::')[-1]}"
        detail = ""
        if self.action == "replace":
            detail = f" ({', '.join(self.fields)} changed: ForceNew in {source_of(self.type)})"
        elif self.action == "update" and self.fields:
            detail = f" ({', '.join(self.fields)})"
        elif self.action == "forget":
            detail = " (retain_on_delete: leaves the stack, stays in AWS)"
        if self.renamed_from:
            detail += f" (alias of {self.renamed_from.split('::')[-1]})"
        return f"{self.action}: {what}{detail}"


@dataclass(frozen=True)
class UpgradeReport:
    changes: tuple[Change, ...]
    problems: tuple[str, ...]  # each one fails the check
    affected_jobs: dict[str, list[str]] = field(default_factory=dict)  # job -> what happens to its runs in flight

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        counted = {action: 0 for action in ACTIONS}
        for change in self.changes:
            counted[change.action] += 1
        return counted

    def lines(self) -> list[str]:
        """The report in words: counts, every change but `same`, the problems, the jobs affected."""
        counts = self.counts()
        lines = [", ".join(f"{counts[a]} {a}" for a in ACTIONS if a != "same") + f" ({counts['same']} unchanged)"]
        lines += [f"  {c.describe()}" for c in self.changes if c.action != "same"]
        lines += [f"UNSAFE: {problem}" for problem in self.problems]
        lines += [f"runs in flight of {job}: {'; '.join(notes)}" for job, notes in sorted(self.affected_jobs.items())]
        return lines


def _changed_inputs(before: GraphResource, after: GraphResource) -> set[str]:
    keys = set(before.inputs) | set(after.inputs)
    return {key for key in keys if before.inputs.get(key) != after.inputs.get(key)}


def classify(before: Graph, after: Graph) -> list[Change]:
    """Every resource of either graph, once, with what the up does to it."""
    old = before.by_identity()
    matched: set[str] = set()
    changes: list[Change] = []
    for resource in after.resources:
        previous_id = resource.identity if resource.identity in old else None
        if previous_id is None:
            previous_id = next((a for a in resource.aliases if a in old and a not in matched), None)
        if previous_id is None:
            changes.append(Change("create", resource.identity, resource.type, resource.job))
            continue
        matched.add(previous_id)
        previous = old[previous_id]
        changed = _changed_inputs(previous, resource)
        replacing = replacing_fields(resource.type, changed)
        renamed = previous_id if previous_id != resource.identity else None
        fields: tuple[str, ...]
        if previous.type != resource.type:
            action, fields = "replace", ("type",)
        elif replacing:
            action, fields = "replace", tuple(replacing)
        else:
            action, fields = ("update" if changed else "same"), tuple(sorted(changed))
        changes.append(Change(action, resource.identity, resource.type, resource.job, fields, renamed))
    for resource in before.resources:
        if resource.identity not in matched:
            action = "forget" if resource.retain_on_delete else "delete"
            changes.append(Change(action, resource.identity, resource.type, resource.job))
    return sorted(changes, key=lambda c: (ACTIONS.index(c.action), c.identity))


def check(before: Graph, after: Graph) -> UpgradeReport:
    """Classify, then find what fails the check and which jobs' runs in flight each change reaches."""
    changes = classify(before, after)
    old = before.by_identity()
    fate: dict[str, Change] = {}  # identity before the up -> its change
    for change in changes:
        fate[change.renamed_from or change.identity] = change
    problems: list[str] = []
    affected: dict[str, list[str]] = defaultdict(list)
    for change in changes:
        name = change.identity.split("::")[-1]
        resource = old.get(change.renamed_from or change.identity)
        if resource is None or change.action not in ("replace", "delete"):
            if change.action == "forget" and change.type in STATEFUL:
                affected_note = f"{name} leaves the stack with {STATEFUL[change.type]} (kept in AWS, no longer managed)"
                if change.job:
                    affected[change.job].append(affected_note)
            continue
        if resource.protect:
            problems.append(f"{change.action} of protected {name}: the preview fails and nothing is changed")
        elif change.type in STATEFUL and not resource.retain_on_delete:
            problems.append(f"{change.action} of {name} ({change.type}) loses {STATEFUL[change.type]}")
        elif change.type in STATEFUL and change.job:
            affected[change.job].append(f"{name} is {change.action}d; the old one stays in AWS (retain_on_delete)")
        if change.type in RUN_DEPENDENCIES and not _same_family(change, resource, after):
            problems += _runs_losing(resource, change, before, fate, affected)
        if change.job and change.type in RUN_HOLDERS and change.action == "delete":
            affected[change.job].append(
                f"{name} is deleted: a run in flight ends at its next state once its machine is deleted"
                if change.type == "aws:sfn/stateMachine:StateMachine"
                else f"{name} is deleted"
            )
    return UpgradeReport(tuple(changes), tuple(problems), {job: notes for job, notes in affected.items()})


def _same_family(change: Change, resource: GraphResource, after: Graph) -> bool:
    """A task definition replaced under its family: a new revision that RunTask picks by the family name."""
    if change.action != "replace" or resource.type != "aws:ecs/taskDefinition:TaskDefinition":
        return False
    new = after.by_identity().get(change.identity)
    return new is not None and new.inputs.get("family") == resource.inputs.get("family")


def _drained(holder: GraphResource, lost: str, before: Graph, fate: dict[str, Change]) -> bool:
    """Whether Pulumi deletes `holder` before `lost`, after the runs that use it: a state machine deleted or
    replaced waits for its executions ("A state machine is deleted only when all its executions are completed":
    DeleteStateMachine), a schedule needs no wait, and a task definition is drained when every machine that
    names it is."""
    holder_fate = fate.get(holder.identity)
    if holder_fate is None or holder_fate.action not in ("delete", "replace") or lost not in holder.depends_on:
        return False
    if holder.type != "aws:ecs/taskDefinition:TaskDefinition":
        return True
    machines = [
        r for r in before.resources if r.type == "aws:sfn/stateMachine:StateMachine" and holder.identity in r.references
    ]
    return all(_drained(machine, holder.identity, before, fate) for machine in machines)


def _runs_losing(
    lost: GraphResource, change: Change, before: Graph, fate: dict[str, Change], affected: dict[str, list[str]]
) -> list[str]:
    """Problems for each run holder that referenced `lost` and is not drained before it goes."""
    problems = []
    name = _short(lost.identity)
    for holder in before.resources:
        if holder.type not in RUN_HOLDERS or lost.identity not in holder.references:
            continue
        if _drained(holder, lost.identity, before, fate):
            continue
        holder_name = _short(holder.identity)
        keeps = (
            "a task in flight keeps the role its revision named"
            if holder.type == "aws:ecs/taskDefinition:TaskDefinition"
            else 'a run in flight keeps it (UpdateStateMachine: "Running executions will continue to use the previous '
            'definition and roleArn")'
        )
        problems.append(
            f"{change.action} of {name}, which {holder_name} used, in the same up: {keeps}; keep it one release and "
            "delete it in a later up, or keep its identity and change its policy in place"
        )
        jobs = (
            {holder.job}
            if holder.job
            else {r.job for r in before.resources if r.job and holder.identity in r.references}
        )
        for job in sorted(j for j in jobs if j):
            affected[job].append(
                f"{name} ({lost.type.split(':')[-1]}) is {change.action}d while {holder_name} may still use it"
            )
    return problems


def _short(identity: str) -> str:
    return identity.split("::")[-1]
