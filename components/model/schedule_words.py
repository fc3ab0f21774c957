"""AWS schedule expressions read out in plain words, for the plan's table.

Cron descriptions come from cron-descriptor, told that day-of-week counts from 1 (SUN) as AWS's does
(EventBridge Scheduler User Guide, "Cron-based schedules"); rates are simple enough to say here."""

from __future__ import annotations

from cron_descriptor import CasingTypeEnum, ExpressionDescriptor, Options


def describe_rate(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {seconds} seconds"


def describe_cron(fields: str) -> str:
    """E.g. "0 6 ? * MON-FRI *" -> "at 06:00, Monday through Friday" (fields already validated as AWS cron)."""
    options = Options()
    options.day_of_week_start_index_zero = False  # AWS: 1-7 = SUN-SAT
    options.use_24hour_time_format = True
    options.casing_type = CasingTypeEnum.Sentence
    words = str(ExpressionDescriptor(fields, options).get_description())
    return words[:1].lower() + words[1:]  # it reads on after the job's name in a table
