"""The AWS session jobctl works in, and the client settings every call goes through."""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import ProfileNotFound

from jobctl.errors import AwsAccessError

# Every client retries in botocore's "adaptive" mode: standard retries (exponential backoff with jitter, at most
# 20 s between attempts, and a retry quota of 500 units per client, 5 per throttled retry, given back on
# success) plus a client-side token bucket that slows the client's sending rate as soon as AWS throttles it
# (boto3 guide, "Retries": legacy, standard and adaptive modes; botocore/retries/standard.py and adaptive.py).
# The AWS SDKs reference guide ("Retry behavior") calls adaptive mode one for specialised cases and not for
# multi-tenant applications: a CLI run by one operator, whose threads share one client per service and so one
# rate, is such a case. `total_max_attempts` counts the first attempt too (the client option `max_attempts`
# counts only retries: botocore pull request #1972). 10 attempts outlast a burst of other traffic on the same
# quota; a call still throttled after them is reported as not read (exit 7), not fatal to the rest.
MAX_ATTEMPTS = 10
CLIENT_CONFIG = Config(retries={"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS}, max_pool_connections=16)


def open_session(profile: str | None, region: str | None) -> boto3.Session:
    """A session on the user's usual AWS settings; tests and the bench replace this to count calls."""
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as error:
        raise AwsAccessError(str(error)) from error
    if not session.region_name:
        raise AwsAccessError("no AWS region: pass --region or set AWS_REGION (or a region in your profile)")
    return session
