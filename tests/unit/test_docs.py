"""The README and docs/ show what the code does: the example job is the shipped one, the field table and the
overrides row name every field, and every page is linked from the README with no link pointing nowhere."""

from __future__ import annotations

import re
from pathlib import Path

from components.model.config import JobOverride
from components.model.spec import Job

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = REPO / "docs"

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.MULTILINE)


def _section(path: Path, title: str) -> str:
    """The text under heading `title` (e.g. "## Job fields") up to the next heading of the same level or
    higher; a `# comment` inside a code block is no heading."""
    text = path.read_text()
    masked = FENCE.sub(lambda block: re.sub(r"[^\n]", " ", block.group()), text)  # same offsets, no code
    start = masked.index(f"\n{title}\n")
    level = len(title.split(" ", 1)[0])
    found = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE).search(masked, start + len(title) + 2)
    return text[start : found.start()] if found else text[start:]


def _prose(text: str) -> str:
    """Markdown without fenced blocks, so a `# comment` in a code block is no heading and code no link."""
    return FENCE.sub("", text)


def _anchors(path: Path) -> set[str]:
    """The heading anchors GitHub gives a page: lowercase, punctuation dropped, spaces as hyphens, and a
    -1, -2 ... suffix on repeats."""
    anchors: set[str] = set()
    for heading in HEADING.findall(_prose(path.read_text())):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchor, n = slug, 0
        while anchor in anchors:
            n += 1
            anchor = f"{slug}-{n}"
        anchors.add(anchor)
    return anchors


def _relative_links(path: Path) -> list[str]:
    links = LINK.findall(INLINE_CODE.sub("", _prose(path.read_text())))
    return [link for link in links if not re.match(r"[a-z][a-z0-9+.-]*:", link)]  # not http:, mailto: ...


def _broken_links(path: Path, root: Path = REPO) -> list[str]:
    broken = []
    for link in _relative_links(path):
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.is_file():
            broken.append(f"{path.relative_to(root)}: {link}: no such file")
        elif anchor and anchor not in _anchors(file):
            broken.append(f"{path.relative_to(root)}: {link}: no heading #{anchor} in {file.name}")
    return broken


def test_example_job_is_the_shipped_module() -> None:
    [example] = re.findall(
        r"```python\n# jobs/nightly_report.py\n(.*?)```", _section(README, "## Adding a job"), re.DOTALL
    )
    assert example == (REPO / "jobs" / "nightly_report.py").read_text()


def test_job_fields_table_names_every_field() -> None:
    table = _section(DOCS / "jobs.md", "## Job fields")
    named = set(re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)?", table, re.MULTILINE))
    documented = {name for pair in named for name in pair if name}
    assert documented == set(Job.model_fields)


def test_stack_settings_list_every_per_job_override() -> None:
    lines = (DOCS / "stack-settings.md").read_text().splitlines()
    [row] = [line for line in lines if line.startswith("| `scheduled-jobs:jobs`")]
    assert set(re.findall(r"`([a-z]+)`", row)) >= set(JobOverride.model_fields)


def test_readme_links_every_page_in_docs() -> None:
    linked = {(README.parent / link.partition("#")[0]).resolve() for link in _relative_links(README)}
    pages = {path.resolve() for path in DOCS.rglob("*") if path.is_file()}
    assert pages, "docs/ has no pages"
    assert sorted(str(p.relative_to(REPO)) for p in pages - linked) == []


def test_every_relative_link_points_at_an_existing_file_and_heading() -> None:
    broken = [line for path in [README, *sorted(DOCS.glob("*.md"))] for line in _broken_links(path)]
    assert not broken, "\n".join(broken)


def test_every_page_links_back_to_the_readme() -> None:
    for page in sorted(DOCS.glob("*.md")):
        assert "../README.md" in _relative_links(page), f"{page.name} does not link back to the README"


def test_the_link_check_catches_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Project\n\n## Read on\n")
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    page.write_text(
        "# Page\n\n## A heading (`x`)\n\n```\n# not a heading\n[in code](nowhere.md)\n```\n\n"
        "[ok](#a-heading-x) [ok](../README.md#read-on) [gone](nowhere.md) [bad](../README.md#no-such)\n"
    )
    assert _broken_links(page, tmp_path) == [
        "docs/page.md: nowhere.md: no such file",
        "docs/page.md: ../README.md#no-such: no heading #no-such in README.md",
    ]
