"""Container image references, checked before deploy: a malformed one is only found when a run cannot pull it.

The grammar is distribution/reference's (github.com/distribution/reference, regexp.go; `reference.go` for the
255-character name limit), which Docker, containerd and the ECS agent parse with; digests as go-digest
(github.com/opencontainers/go-digest, algorithm.go) checks them."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from components.model.errors import FieldError

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
DOMAIN_AND_PORT = re.compile(rf"{_HOST}(?::[0-9]+)?")
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
PATH_COMPONENT = re.compile(_PATH_COMPONENT)
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")  # Go's \w is ASCII-only
DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
REFERENCE = re.compile(
    rf"(?:{DOMAIN_AND_PORT.pattern}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*(?::{TAG.pattern})?(?:@{DIGEST.pattern})?"
)
NAME_MAX_LENGTH = 255
# go-digest's registered algorithms and their encoded lengths (lowercase hex).
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
EXAMPLE = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:1.0"


def check_image(value: str) -> str:
    """The reference unchanged, or a FieldError saying which part is wrong and what the grammar allows."""
    problem = _problem(value)
    if problem is None and not REFERENCE.fullmatch(value):
        problem = "it does not follow the image reference grammar"
    if problem is not None:
        raise FieldError(
            "",
            f"not a container image reference: {problem}; write [registry[:port]/]repository[:tag][@digest], "
            f"e.g. {EXAMPLE!r}",
            value,
        )
    return value


def _problem(value: str) -> str | None:
    if not value:
        return "it is empty"
    if any(c.isspace() for c in value):
        return "it contains whitespace"
    name, at, digest = value.partition("@")
    if at:
        problem = _digest_problem(digest)
        if problem:
            return problem
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not tag:
            return "nothing follows ':' (give a tag such as ':1.0', or drop the ':')"
        if not TAG.fullmatch(tag):
            return (
                f"the tag {tag!r} may have only letters, digits, '_', '.' and '-', not start with '.' or '-', "
                "and be at most 128 characters"
            )
    if len(name) > NAME_MAX_LENGTH:
        return f"the name is {len(name)} characters; at most {NAME_MAX_LENGTH} are allowed"
    first, sep, rest = name.partition("/")
    # Docker's rule (distribution/reference normalize.go): the first part is a registry if it has '.' or ':',
    # is 'localhost', or has capitals.
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        if not DOMAIN_AND_PORT.fullmatch(first):
            return f"the registry {first!r} is not a host name with an optional :port"
        name = rest
    if name != name.lower():
        return f"the repository {name!r} has capitals; repository names are lowercase"
    for component in name.split("/"):
        if not component:
            return f"the repository {name!r} has an empty part (a '/' too many)"
        if not PATH_COMPONENT.fullmatch(component):
            return (
                f"the part {component!r} of the repository {name!r} is not lowercase letters and digits "
                "joined by '.', '_', '__' or '-'"
            )
    return None


def _digest_problem(digest: str) -> str | None:
    if not DIGEST.fullmatch(digest):
        return f"the digest {digest!r} is not algorithm:hex, e.g. 'sha256:' and 64 hex digits"
    algorithm, _, encoded = digest.partition(":")
    length = DIGEST_HEX_LENGTHS.get(algorithm)
    if length is not None and not re.fullmatch(f"[0-9a-f]{{{length}}}", encoded):
        return f"the {algorithm} digest must be {length} lowercase hex digits, not {len(encoded)}"
    return None


ImageRef = Annotated[str, AfterValidator(check_image)]
