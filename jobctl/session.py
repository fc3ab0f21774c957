"""The AWS session jobctl works in, and the client settings every call goes through."""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import ProfileNotFound

from jobctl.errors import AwsAccessError

# Every client retries in botocore's "adaptive" mode: standard retries (exponential backoff with jitter, at most
# 20 s between attempts, and a retry quota of 500 units per client, 5 per throttled retry) plus a client-side
# token bucket that slows the client's sending rate as soon as AWS throttles it (boto3 guide, "Retries":
# retry modes legacy/standard/adaptive; botocore/retries/adaptive.py). The threads of one command share one
# client per service, so they share that rate. 10 attempts, as the boto3 guide's own example sets, outlast a
# burst of other traffic on the same quota; a call still throttled after them is reported, not fatal.
MAX_ATTEMPTS = 10
CLIENT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": MAX_ATTEMPTS}, max_pool_connections=16)


def open_session(profile: str | None, region: str | None) -> boto3.Session:
    """A session on the user's usual AWS settings; tests and the bench replace this to count calls."""
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as error:
        raise AwsAccessError(str(error)) from error
    if not session.region_name:
        raise AwsAccessError("no AWS region: pass --region or set AWS_REGION (or a region in your profile)")
    return session
