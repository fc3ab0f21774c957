"""A container's log, read page by page as CloudWatch Logs serves it, so a long log is never held whole."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from time import sleep
from typing import Any

from botocore.exceptions import ClientError

from components.model.naming import job_names
from jobctl.errors import error_code
from jobctl.runs import task_id


@dataclass(frozen=True)
class LogEvent:
    timestamp: datetime
    message: str


@dataclass(frozen=True)
class LogStream:
    task_arn: str
    log_group: str
    name: str


class StreamMissing(Exception):
    """The stream is not there (yet): the container never logged, has not started, or the log expired."""


def log_stream(prefix: str, job: str, task_arn: str) -> LogStream:
    """awslogs writes stream `<stream prefix>/<container>/<task id>`; the stream prefix is "job"."""
    names = job_names(prefix, job)
    return LogStream(task_arn, names.log_group, f"job/{names.container}/{task_id(task_arn)}")


def read_events(
    logs: Any,
    stream: LogStream,
    since: datetime | None = None,
    keep_waiting: Callable[[], bool] | None = None,
    poll_seconds: float = 5.0,
) -> Iterator[LogEvent]:
    """Every event of the stream from `since` (or its start), oldest first, one GetLogEvents page at a time.

    GetLogEvents (CloudWatch Logs API reference): a page "might only be partially full, or even empty", and
    "partially full or empty pages don't necessarily mean that pagination is finished. As long as the ...
    nextForwardToken returned is NOT equal to the nextToken that you passed into the API call, there might be
    more log events"; at the end "it returns the same token you passed in". So an empty page never ends the
    read; the same token does. Then, while `keep_waiting()` says the run goes on, the same token is asked
    again every `poll_seconds` (a follow), and once it says no, one last page is read and the stream ends.
    Raises StreamMissing when the stream does not exist."""
    token: str | None = None
    last_round = False
    extra: dict[str, Any] = {"startTime": int(since.timestamp() * 1000)} if since is not None else {}
    while True:
        try:
            page = logs.get_log_events(
                logGroupName=stream.log_group,
                logStreamName=stream.name,
                startFromHead=True,
                **extra,
                **({"nextToken": token} if token else {}),
            )
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                raise StreamMissing(stream.name) from error
            raise
        for event in page["events"]:
            yield LogEvent(datetime.fromtimestamp(event["timestamp"] / 1000, UTC), event["message"])
        at_end = page["nextForwardToken"] == token
        token = page["nextForwardToken"]
        if not at_end:
            continue
        if last_round or keep_waiting is None:
            return
        if not keep_waiting():
            last_round = True  # the run ended: what it wrote before ending may still be on the next page
            continue
        sleep(poll_seconds)
