"""A policy's ARN against a resource type's ARN template, as IAM's action data defines resource types."""

from __future__ import annotations

import pytest

from components.model.resource_types import arn_matches_template

BUCKET = "arn:${Partition}:s3:::${BucketName}"
OBJECT = "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
QUEUE = "arn:${Partition}:sqs:${Region}:${Account}:${QueueName}"
TABLE = "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}"


@pytest.mark.parametrize(
    ("arn", "template", "matches"),
    [
        ("arn:aws:s3:::bucket", BUCKET, True),
        ("arn:aws:s3:::bucket", OBJECT, False),  # an object ARN has a key after the bucket
        ("arn:aws:s3:::bucket/*", BUCKET, False),  # a bucket name holds no "/"
        ("arn:aws:s3:::bucket/*", OBJECT, True),
        ("arn:aws:s3:::bucket/a/b.csv", OBJECT, True),  # an object key may hold "/"
        ("arn:aws:s3:::*", BUCKET, True),  # a star may be a bucket's name, or a bucket and a key
        ("arn:aws:s3:::*", OBJECT, True),
        ("*", OBJECT, True),
        ("arn:aws:s3:::bucket/", OBJECT, False),  # a variable takes at least one character
        ("arn:aws:sqs:eu-central-1:123456789012:out", QUEUE, True),
        ("arn:aws:sns:eu-central-1:123456789012:out", QUEUE, False),  # another service
        ("arn:aws:sqs:*:*:out", QUEUE, True),
        ("arn:aws:dynamodb:eu-central-1:123456789012:table/orders", TABLE, True),
        ("arn:aws:dynamodb:eu-central-1:123456789012:stream/x", TABLE, False),
        ("not-an-arn", BUCKET, False),
    ],
)
def test_arn_matches_the_resource_types_it_can_name(arn: str, template: str, matches: bool) -> None:
    assert arn_matches_template(arn, template) is matches
