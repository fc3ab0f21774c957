"""Whether a policy's resource ARN can name a resource of an IAM resource type, as IAM's action data defines it.

AWS's Service Authorization Reference lists, per action, the resource types it applies to, each with an ARN
template such as `arn:${Partition}:s3:::${BucketName}/${ObjectName}` (IAM User Guide, "Actions, resources, and
condition keys for AWS services"). A statement whose ARNs match none of an action's resource types never allows
that action: `s3:ListBucket` on `arn:aws:s3:::bucket/*` is the common case (ListBucket applies to the bucket).

The matching follows @cloud-copilot/iam-utils' `resourceStringMatchesResourceTypePattern`, which the IAM
simulator our tests use decides resource types with, so plan.py and the tests agree: the ARN's partition,
service, region and account are compared field by field, its resource part as a whole; `*` and `?` in the
ARN are IAM's wildcards; a template variable matches one or more characters, and only non-separator ones
(neither `:` nor `/`) when it is the field's whole text."""

from __future__ import annotations

SEPARATORS = frozenset(":/")
_ANY, _NON_SEPARATOR = "any", "non-separator"


def _arn_fields(arn: str) -> list[str]:
    """Partition, service, region, account and the resource part (which may hold further colons)."""
    parts = arn.split(":")
    return [*parts[1:5], ":".join(parts[5:])] if len(parts) >= 6 else []


def arn_matches_template(arn: str, template: str) -> bool:
    """Whether some concrete ARN fits both `arn` (a policy's Resource, wildcards allowed) and `template`
    (a resource type's ARN from IAM's action data). `*` alone matches every template."""
    if arn == "*":
        return True
    fields, template_fields = _arn_fields(arn), _arn_fields(template)
    if not fields or not template_fields:
        return False
    return all(_field_matches(f, t) for f, t in zip(fields, template_fields, strict=True))


def _field_matches(field: str, template: str) -> bool:
    if template == "*":
        return True
    if field == "" or template == "":
        return field.lower() == template.lower()
    return _intersect(field, _template_tokens(template))


def _template_tokens(template: str) -> tuple[tuple[str, str], ...]:
    """("literal", char) and ("variable", matcher) tokens of one field of a template."""
    tokens: list[tuple[str, str]] = []
    whole = template.startswith("${") and template.endswith("}") and template.count("${") == 1
    i = 0
    while i < len(template):
        end = template.find("}", i + 2) if template.startswith("${", i) else -1
        if end != -1:
            tokens.append(("variable", _NON_SEPARATOR if whole else _ANY))
            i = end + 1
        else:
            tokens.append(("literal", template[i]))
            i += 1
    return tuple(tokens)


def _pattern_moves(field: str, i: int) -> list[tuple[int, str | None]]:
    """From position i of an ARN field (IAM wildcards): (next position, character consumed or None)."""
    if i >= len(field):
        return []
    if field[i] == "*":
        return [(i + 1, None), (i, _ANY)]
    return [(i + 1, _ANY if field[i] == "?" else field[i])]


def _template_moves(tokens: tuple[tuple[str, str], ...], j: int) -> list[tuple[int, tuple[str, str]]]:
    """From token j of a template field: (next token, what the consumed character must be). A variable takes
    one character and either more (stays) or ends (moves on): one or more characters."""
    if j >= len(tokens):
        return []
    token = tokens[j]
    return [(j, token), (j + 1, token)] if token[0] == "variable" else [(j + 1, token)]


def _chars_meet(char: str, token: tuple[str, str]) -> bool:
    """Whether one ARN character (a literal, or "any" for a wildcard) can be one the template token takes."""
    kind, value = token
    if kind == "literal":
        return char == _ANY or char.lower() == value.lower()
    return value == _ANY or char == _ANY or char not in SEPARATORS


def _intersect(field: str, tokens: tuple[tuple[str, str], ...]) -> bool:
    """Whether the wildcard pattern `field` and the template tokens accept a common string: a breadth-first
    search of the product of their two automata."""
    seen: set[tuple[int, int]] = set()
    queue = [(0, 0)]
    while queue:
        i, j = queue.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(field) and j == len(tokens):
            return True
        for next_i, char in _pattern_moves(field, i):
            if char is None:
                queue.append((next_i, j))
                continue
            queue.extend((next_i, next_j) for next_j, token in _template_moves(tokens, j) if _chars_meet(char, token))
    return False
