"""Taught before used: no course program uses a bpftrace or BCC construct before a page teaches it.

The course itself is checked first; then small courses written here show that each kind of
mistake fails with its page and line.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bpfhol.config import ROOT
from bpfhol.examples.teaching import main, read_course, untaught


def test_the_course_teaches_every_construct_before_a_program_uses_it() -> None:
    course = read_course(ROOT)
    assert len(course.pages) > 10 and course.used and course.taught, "the walk found no pages, programs or markers"
    wrong = course.problems + untaught(course)
    assert not wrong, (
        "each construct must be taught (a <!-- teaches: NAME --> marker above the prose that explains it, "
        "see docs/authoring.md) before a program uses it:\n" + "\n".join(wrong)
    )


def _course(tmp_path: Path, pages: dict[str, str], snippets: dict[str, str] | None = None) -> Path:
    """A checkout with these pages, in this nav order, and an authors' section holding authors.md."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "snippets").mkdir()
    for name, text in pages.items():
        (tmp_path / "docs" / name).write_text(textwrap.dedent(text))
    (tmp_path / "docs" / "authors.md").write_text("```bpftrace\nBEGIN { $never = 1; }\n```\n")
    for name, text in (snippets or {}).items():
        (tmp_path / "snippets" / name).write_text(textwrap.dedent(text))
    nav = "".join(f"  - {name}\n" for name in pages)
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: t\nnav:\n{nav}  - For authors:\n      - authors.md\n"
        "markdown_extensions:\n  - pymdownx.snippets:\n      base_path: [snippets]\n      check_paths: true\n"
    )
    return tmp_path


PRIMER = """\
# Primer

<!-- teaches: tracepoint:syscalls, map, count(), keyed map, comm -->
A probe such as `tracepoint:syscalls:sys_enter_read` counts into a map: `@calls[comm] = count();`.

```bpftrace
t:syscalls:sys_enter_read { @calls[comm] = count(); }
```
"""


def test_a_taught_course_passes(tmp_path: Path) -> None:
    course = read_course(_course(tmp_path, {"primer.md": PRIMER}))
    assert course.pages == ["docs/primer.md"]  # the authors' page is no learner page
    assert not course.problems and not untaught(course)
    assert {u.construct for u in course.used} == {"tracepoint:syscalls", "map", "keyed map", "comm", "count()"}


def test_uses_before_teaching_are_named_with_page_and_line(tmp_path: Path) -> None:
    later = """\
    # Later

    ```sh
    sudo bpftrace -e 't:syscalls:sys_enter_read /pid == 1/ { @n[tid] = count(); }'
    ```

    <!-- teaches: predicate, pid -->
    A predicate, `/pid == 1/`, keeps the calls of one process.
    """
    second = """\
    # Second

    ```bpftrace title="x.bt"
    --8<-- "x.bt"
    ```
    """
    snippets = {"x.bt": "// if (pid) { delete(@n); }\nt:syscalls:sys_enter_read\n/pid == 1/\n{ @n = count(); }\n"}
    root = _course(tmp_path, {"primer.md": PRIMER, "second.md": second, "later.md": later}, snippets)
    assert untaught(read_course(root)) == [
        "docs/second.md:3 (x.bt:3) uses predicate, first taught on docs/later.md:7 (later)",
        "docs/second.md:3 (x.bt:3) uses pid, first taught on docs/later.md:7 (later)",
        "docs/later.md:3 (docs/later.md:4) uses predicate, taught further down the page (line 7)",
        "docs/later.md:3 (docs/later.md:4) uses pid, taught further down the page (line 7)",
        "docs/later.md:3 (docs/later.md:4) uses tid, never taught",
    ]


def test_a_marker_must_be_honest(tmp_path: Path) -> None:
    page = """\
    # Page

    <!-- teaches: $variable, delte() , if -->
    Scratch variables start with `$`: `$x = 1;`. Nothing here says how to branch.

    ```bpftrace
    BEGIN { if (1) { exit(); } }
    ```

    ## Hints

    ??? tip "Hint"

        <!-- teaches: exit() -->
        `exit()` ends the program.

    <!-- teaches: map -->
    Maps start with `@`: `@calls = count();`.

    <!-- teaches: map -->
    Once more: `@x = count();`.
    """
    course = read_course(_course(tmp_path, {"primer.md": PRIMER, "page.md": page}))
    assert course.problems == [
        "docs/page.md:3: teaches delte(), but the prose below it (to the next heading) never shows it "
        r"(looked for /`[^`]*\bdelte\(/)",
        "docs/page.md:3: teaches if, but the prose below it (to the next heading) never shows it "
        r"(looked for /`if\b/)",
        "docs/page.md:14: teaches exit() inside a collapsed block, which may stay closed",
        "docs/page.md:17: teaches map again (first taught at docs/primer.md:3)",
        "docs/page.md:20: teaches map again (first taught at docs/primer.md:3)",
    ]
    assert untaught(course) == [
        "docs/page.md:6 (docs/page.md:7) uses BEGIN, never taught",
        "docs/page.md:6 (docs/page.md:7) uses if, never taught",
        "docs/page.md:6 (docs/page.md:7) uses exit(), never taught",
    ]


def test_an_unknown_construct_and_an_unreadable_program(tmp_path: Path) -> None:
    page = """\
    # Page

    <!-- teaches: keyed-map -->
    A map with a key: `@m[k]`.

    ```bpftrace
    BEGIN { printf("unterminated); }
    ```
    """
    course = read_course(_course(tmp_path, {"page.md": page}))
    assert course.problems == [
        "docs/page.md:3: teaches 'keyed-map', which is not a construct the lexer knows",
        "docs/page.md:6: cannot read the bpftrace program: line 1: cannot read string",
    ]


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = tmp_path / "x.bt"
    program.write_text("BEGIN { $x = 1; }\n")
    assert main([str(program)]) == 0
    assert capsys.readouterr().out == f"{program}: $variable, BEGIN\n"
    assert main([str(tmp_path / "missing.bt")]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    program.write_text('BEGIN { printf("x); }\n')
    assert main([str(program)]) == 1
    assert "cannot read string" in capsys.readouterr().err
    assert main([]) == 0  # the course itself, as the first test checks it
    assert "each taught before its first use" in capsys.readouterr().out
