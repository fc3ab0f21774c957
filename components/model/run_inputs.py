"""A job's run inputs (`Job(inputs=...)`): the container environment variables a run may be given, by `jobctl run
--input`, a backfill or redrive, a dead letter replayed, or a start from the console or the SDK, and the values
each may take. A job that declares none accepts none. The job's state machine enforces them before it claims a
slot or takes the lock (components/documents/run_inputs.py), so every way into a run gets the same answer.

Shapes: `inputs=["REPORT_DAY", "MODE"]` (any value), or a dict of name to what is allowed: `None` (any value), a
pattern the whole value must match (`r"\\d{4}-\\d{2}-\\d{2}"`), or a list of the values allowed (`["full", "delta"]`).

Some names can never be declared: the dynamic loader, the language runtimes and the AWS SDKs read them before or
beside the job's own code, so whoever may start a run could choose what code runs, or where the job's AWS calls
go, with its task role and its secrets. `REFUSED_INPUT_NAMES` lists them, each kind with the documentation that
names it; a name is compared in upper case, as a lower-case `http_proxy` is read too (curl(1), ENVIRONMENT)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from components.model.lock_item import LOCK_KEY

InputRule = str | list[str] | None  # None: any value; str: a pattern the whole value matches; list: the choices

# (pattern of names, who reads them, where that is documented). Patterns are fnmatch's, in upper case.
REFUSED_INPUT_NAMES: tuple[tuple[str, str, str], ...] = (
    ("LD_*", "the dynamic loader (e.g. LD_PRELOAD loads a library into every process)", "ld.so(8), ENVIRONMENT"),
    (
        "GCONV_PATH",
        "glibc, which drops it for privileged programs as unsafe",
        "ld.so(8), Secure-execution mode; glibc unsecvars.h",
    ),
    ("GETCONF_DIR", "glibc, unsafe for privileged programs", "glibc unsecvars.h"),
    ("HOSTALIASES", "glibc's resolver, unsafe for privileged programs", "glibc unsecvars.h"),
    ("LOCALDOMAIN", "glibc's resolver, unsafe for privileged programs", "glibc unsecvars.h; resolv.conf(5)"),
    ("LOCPATH", "glibc's locale loader, unsafe for privileged programs", "glibc unsecvars.h"),
    ("MALLOC_*", "glibc's allocator, unsafe for privileged programs", "glibc unsecvars.h; mallopt(3)"),
    ("NIS_PATH", "glibc, unsafe for privileged programs", "glibc unsecvars.h"),
    ("NLSPATH", "glibc's message catalogues, unsafe for privileged programs", "glibc unsecvars.h; catopen(3)"),
    ("RESOLV_HOST_CONF", "glibc's resolver, unsafe for privileged programs", "glibc unsecvars.h"),
    ("RES_OPTIONS", "glibc's resolver, unsafe for privileged programs", "glibc unsecvars.h; resolv.conf(5)"),
    ("TMPDIR", "glibc and most runtimes, for where temporary files go", "glibc unsecvars.h"),
    ("TZDIR", "glibc's time zone loader, unsafe for privileged programs", "glibc unsecvars.h"),
    ("PYTHON*", "the Python interpreter (PYTHONPATH, PYTHONSTARTUP, PYTHONWARNINGS ...)", "python(1), ENVIRONMENT"),
    ("BROWSER", "Python's webbrowser module, which runs it as a command", "Python docs, webbrowser"),
    ("NODE_*", "Node.js (NODE_OPTIONS --require, NODE_PATH, NODE_EXTRA_CA_CERTS)", "Node.js docs, CLI: Environment"),
    ("JAVA_TOOL_OPTIONS", "every JVM (-javaagent loads code)", "JVM Tool Interface docs, JAVA_TOOL_OPTIONS"),
    ("JDK_JAVA_OPTIONS", "the java launcher", "the java command docs, JDK_JAVA_OPTIONS"),
    ("_JAVA_OPTIONS", "HotSpot JVMs", "the java command docs"),
    ("PERL5*", "Perl (PERL5LIB, PERL5OPT)", "perlrun(1), ENVIRONMENT"),
    ("PERLLIB", "Perl", "perlrun(1), ENVIRONMENT"),
    ("RUBY*", "Ruby (RUBYOPT, RUBYLIB)", "ruby(1), ENVIRONMENT"),
    ("GEM_*", "RubyGems", "RubyGems docs, environment variables"),
    ("DOTNET_*", ".NET (DOTNET_STARTUP_HOOKS loads code)", ".NET docs, environment variables"),
    ("CORECLR_*", ".NET (CORECLR_PROFILER_PATH loads a profiler)", ".NET docs, profiling"),
    ("GIT_*", "git (GIT_SSH_COMMAND, GIT_CONFIG_* run commands)", "git(1), ENVIRONMENT VARIABLES"),
    ("AWS_*", "every AWS SDK and the CLI (credentials, endpoints, region)", "AWS SDKs and Tools Reference Guide"),
    ("ECS_*", "the ECS container metadata endpoint and agent", "Amazon ECS developer guide, task metadata"),
    ("*_PROXY", "curl, requests and most HTTP clients (HTTPS_PROXY, NO_PROXY)", "curl(1), ENVIRONMENT"),
    ("SSL_CERT_*", "OpenSSL's trusted certificates", "OpenSSL docs, SSL_CERT_FILE"),
    ("REQUESTS_CA_BUNDLE", "Python requests' trusted certificates", "requests docs, SSL Cert Verification"),
    ("CURL_CA_BUNDLE", "curl's trusted certificates", "curl(1), ENVIRONMENT"),
    ("PATH", "every shell and exec, for where commands are found", "POSIX, Environment Variables"),
    ("HOME", "shells and most runtimes, for configuration files", "POSIX, Environment Variables"),
    ("IFS", "the shell's word splitting", "POSIX, Shell Command Language"),
    ("ENV", "the shell, which runs the file it names", "POSIX sh, ENV"),
    ("BASH_ENV", "bash, which runs the file it names in every script", "bash(1), BASH_ENV"),
    ("BASH_FUNC_*", "bash's exported functions", "bash(1), Functions"),
    ("SHELLOPTS", "bash", "bash(1)"),
    ("BASHOPTS", "bash", "bash(1)"),
    ("PS4", "bash's trace prompt, expanded as code", "bash(1)"),
)
_PATTERN_TOO_DIFFERENT = re.compile(r"\(\?|\\[AZzGbB]|\\[pP]\{")
MAX_PATTERN_LENGTH = 256
MAX_CHOICES = 50


@dataclass(frozen=True)
class RunInput:
    """One declared input: its name and what a run may give it."""

    name: str
    pattern: str | None = None  # the whole value matches it (JavaScript and Python regex syntax alike)
    choices: tuple[str, ...] | None = None

    def allows(self, value: str) -> bool:
        """Whether a run may give this input `value` (what the state machine checks, in Python)."""
        if self.choices is not None:
            return value in self.choices
        if self.pattern is not None:
            return re.fullmatch(self.pattern, value) is not None
        return True

    def allowed(self) -> str:
        """What is allowed, in words."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.pattern is not None:
            return f"a value matching {self.pattern!r} (all of it)"
        return "any value"


def refused_name(name: str) -> tuple[str, str, str] | None:
    """The entry of REFUSED_INPUT_NAMES that `name` falls under, or None."""
    upper = name.upper()
    return next((entry for entry in REFUSED_INPUT_NAMES if fnmatchcase(upper, entry[0])), None)


def run_input(name: str, rule: InputRule) -> RunInput:
    """A RunInput from one declared entry. Raises ValueError naming what is wrong and what is allowed."""
    if rule is None:
        return RunInput(name)
    if isinstance(rule, list):
        if not rule or len(rule) > MAX_CHOICES:
            raise ValueError(f"choices: give 1 to {MAX_CHOICES} values, got {len(rule)}")
        if len(set(rule)) != len(rule):
            raise ValueError(f"choices: {rule!r} names a value twice")
        return RunInput(name, choices=tuple(rule))
    if len(rule) > MAX_PATTERN_LENGTH or not rule:
        raise ValueError(f"pattern: 1 to {MAX_PATTERN_LENGTH} characters, got {len(rule)}")
    if _PATTERN_TOO_DIFFERENT.search(rule):
        raise ValueError(
            f"pattern {rule!r}: uses a construct that JavaScript's regular expressions (which Step Functions' "
            "JSONata uses) and Python's read differently or not at all ('(?...)' groups, \\A, \\Z, \\b, \\p{...}); "
            "write it with plain classes, groups and counts, e.g. r'\\d{4}-\\d{2}-\\d{2}'"
        )
    try:
        re.compile(rule)
    except re.error as error:
        raise ValueError(f"pattern {rule!r} is not a regular expression: {error}") from None
    return RunInput(name, pattern=rule)


def declared_input_names(definition: dict[str, Any]) -> list[str] | None:
    """The input names a rendered job definition accepts (what `jobctl run` checks before it starts a run), read
    back from the check in ClaimSlot's claim key (components/documents/run_inputs.py); None for a definition
    from before run inputs, which accepts any."""
    state = definition.get("States", {}).get("ClaimSlot", {})
    key = state.get("Arguments", {}).get("Item", {}).get(LOCK_KEY, {}).get("S", "")
    found = re.search(r"\$not\(\$k in \[(.*?)\]\)", key) if isinstance(key, str) else None
    if found is None:
        return None
    return [str(name) for name in json.loads(f"[{found.group(1)}]")]
