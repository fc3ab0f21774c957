"""The validated stack as the rest of the program sees it: config, and every job with its name resolved."""

from __future__ import annotations

from dataclasses import dataclass

from components.model.config import StackConfig
from components.model.naming import JobNames
from components.model.spec import Job


@dataclass(frozen=True)
class StackJob:
    """One job as this stack deploys it: its spec with the stack's overrides applied, and its names."""

    name: str  # resolved once, at discovery: the spec's `name`, else the module's file name
    source: str  # the module, as the user knows it: "jobs/nightly_report.py"
    spec: Job
    names: JobNames


@dataclass(frozen=True)
class Stack:
    project: str
    stack: str
    config: StackConfig
    jobs: list[StackJob]
