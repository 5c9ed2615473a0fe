"""Example comments and the other markers: parsing, answer-key placeholders, and what a check reports."""

from __future__ import annotations

import sys

import pytest
from sybil import Document

from bpfhol.examples import toolchain
from bpfhol.examples.judge import unmet
from bpfhol.examples.markers import front_matter, markers
from bpfhol.examples.model import Requirement, SpecError, fill, parse_spec

KEY = {"mmap": {"comm": "mapit", "shared_percent": 75}, "open": {"opener": {"comm": "open.er", "files": ["a.db"]}}}


def test_parse_full_spec() -> None:
    spec = parse_spec("run: 1.5\ntimeout: 9\nexpect: ^a$\nexpect: b\nexpect-none: ERROR\nexit: 1\nexclusive: yes\n")
    assert (spec.run, spec.timeout, spec.exit, spec.exclusive) == (1.5, 9, 1, True)
    assert spec.expect == ["^a$", "b"] and spec.expect_none == ["ERROR"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("run: 1", "no 'expect:' line"),
        ("expect: (", "missing ), unterminated subpattern"),
        ("exepct: x", "expected one of run, timeout"),
        ("run: soon\nexpect: x", "could not convert string to float"),
        ("illustration: why\nexpect: x", "an illustration is shown, not run"),
        ("expect:", "'expect' needs a value"),
    ],
)
def test_bad_spec_is_one_clear_error(body: str, message: str) -> None:
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_spec(body)


def test_placeholders_come_from_the_answer_key() -> None:
    assert fill(r"^@\[{mmap.comm}\]: \d{2,}$", KEY) == r"^@\[mapit\]: \d{2,}$"
    assert fill("{open.opener.comm}", KEY) == r"open\.er"  # escaped: the key holds text, not regexes
    assert fill("shared {mmap.shared_percent±2}%", KEY) == "shared (?:73|74|75|76|77)%"
    assert fill("{open.opener.files.0}", KEY) == r"a\.db"
    with pytest.raises(SpecError, match="the answer key has no 'open.opener.files.1'"):
        fill("{open.opener.files.1}", KEY)
    with pytest.raises(SpecError, match="the answer key has no 'mmap.nope'"):
        fill("{mmap.nope}", KEY)
    with pytest.raises(SpecError, match="needs a lab's answer key, and the page runs with no lab"):
        fill("{mmap.comm}", None)


def test_check_reports_each_broken_expectation() -> None:
    spec = parse_spec("expect: ^@\\[{mmap.comm}\\]: \\d+\\n*\\Z\nexpect-none: ERROR")
    assert unmet(spec, "@[other]: 1\n@[mapit]: 900\n", KEY) == []
    broken = unmet(spec, "@[mapit]: 900\n@[other]: 1\nERROR: x\n", KEY)
    assert len(broken) == 2
    assert broken[0].startswith("expect: ") and "did not match" in broken[0]
    assert broken[1] == "expect-none: ERROR  matched 'ERROR'"


def test_each_placeholder_repeats_its_group_once_per_item() -> None:
    key = {"m": {"kib": [4, 24, 64], "pages": [1, 6, 16]}}
    pattern = fill(r"^h\n(?:\[{m.kib.*}K\) {m.pages.*}\n)\Z", key)
    assert pattern == r"^h\n(?:\[4K\) 1\n)(?:\[24K\) 6\n)(?:\[64K\) 16\n)\Z"
    rows = "h\n[4K) 1\n[24K) 6\n[64K) 16\n"
    assert not unmet(parse_spec(r"expect: ^h\n(?:\[{m.kib.*}K\) {m.pages.*}\n)\Z"), rows, key)
    assert unmet(parse_spec(r"expect: ^h\n(?:\[{m.kib.*}K\) \d+\n)\Z"), "h\n[4K) 1\n[24K) 6\n", key)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"{m.kib.*}", "must sit inside a group"),
        (r"(?:{m.kib.*} {m.one.*})", "differ in length"),
        (r"(?:{m.n.*})", "is not a list"),
    ],
)
def test_each_placeholder_errors(pattern: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        fill(pattern, {"m": {"kib": [1, 2], "one": [1], "n": 3}})


def test_requirements_parse() -> None:
    spec = parse_spec(
        "requires: arch x86_64|aarch64\nrequires: bpftrace >= 0.19\nrequires: kernel < 6.13\n"
        "requires: feature kprobes\nrequires: bcc >= 0.21\nexpect: x"
    )
    assert spec.requires == [
        Requirement("arch", "in", "x86_64|aarch64"),
        Requirement("bpftrace", ">=", "0.19"),
        Requirement("kernel", "<", "6.13"),
        Requirement("feature", "", "kprobes"),
        Requirement("bcc", ">=", "0.21"),
    ]
    assert str(spec.requires[-1]) == "bcc >= 0.21"


@pytest.mark.parametrize("text", ["bpftrace 0.19", "bcc 0.21", "bcc >= x", "libbpf >= 1.0"])
def test_bad_requirement_names_the_grammar(text: str) -> None:
    with pytest.raises(SpecError, match=rf"requires: '{text}': expected 'arch NAME.*'bcc OP X.Y'"):
        parse_spec(f"requires: {text}\nexpect: x")


@pytest.fixture
def bcc_version() -> tuple[int, ...]:
    toolchain.bcc_version.cache_clear()
    have = toolchain.bcc_version()
    if have is None:
        pytest.skip("BCC's Python module does not load in /usr/bin/python3 (python3-bpfcc; ./dev setup installs it)")
    return have


def test_a_bcc_requirement_is_judged_by_the_version_of_bcc_the_examples_run_with(bcc_version: tuple[int, ...]) -> None:
    have = ".".join(map(str, bcc_version))
    newer = f"{bcc_version[0]}.{bcc_version[1] + 1}"
    assert toolchain.first_unmet([Requirement("bcc", ">=", have), Requirement("bcc", "<", newer)]) is None
    assert toolchain.first_unmet([Requirement("bcc", ">=", newer)]) == f"needs bcc >= {newer} (this is bcc {have})"
    assert toolchain.first_unmet([Requirement("bcc", "<", have)]) == f"needs bcc < {have} (this is bcc {have})"


def test_a_bcc_requirement_is_unmet_where_bcc_does_not_load(monkeypatch: pytest.MonkeyPatch) -> None:
    # -I -S: no site module, so no site-packages and no system BCC, whatever the machine has
    monkeypatch.setenv("BPFHOL_PYTHON", f"{sys.executable} -I -S")
    toolchain.bcc_version.cache_clear()
    try:
        assert toolchain.first_unmet([Requirement("bcc", ">=", "0.1")]) == (
            "needs bcc >= 0.1 (BCC's Python module does not load here)"
        )
    finally:
        toolchain.bcc_version.cache_clear()


# --- markers and front matter (bpfhol.examples.markers) -------------------------------------------

PAGE_TEXT = """---
lab: syscalls
---

<!-- kernel-sources -->
| a | b |

````markdown
<!-- example
expect: quoted, not a marker
-->
````

??? success "Solution"

    <!-- example
    run: 1
    expect: ^x$
    -->
    ```bpftrace
    BEGIN { print("x"); exit(); }
    ```
"""


def test_markers_are_found_where_the_site_reads_them_and_not_inside_fences() -> None:
    found, unknown = markers(Document(PAGE_TEXT, "page.md"))
    assert not unknown
    assert [(m.name, m.line) for m in found] == [("kernel-sources", 5), ("example", 16)]
    example = found[1]
    assert example.body == "run: 1\nexpect: ^x$\n" and example.body_line == 17  # dedented out of the admonition
    assert PAGE_TEXT[example.start : example.end].strip().endswith("-->")


def test_unknown_marker_and_front_matter_key_name_their_line() -> None:
    _, unknown = markers(Document("text\n\n<!-- exmaple\nexpect: x\n-->\n", "page.md"))
    assert [(e.line, str(e)) for e in unknown] == [
        (3, "unknown marker <!-- exmaple -->: the markers are example, kernel-sources, tested-on, teaches")
    ]
    meta, bad = front_matter("---\ntitle: T\nlabb: syscalls\n---\n# T\n")
    assert meta == {"title": "T", "labb": "syscalls"}
    assert [(e.line, str(e).split(" (")[0]) for e in bad] == [(3, "front matter: unknown key 'labb'")]


def test_spec_errors_carry_the_comment_line() -> None:
    with pytest.raises(SpecError) as e:
        parse_spec("run: 1\nexepct: x\nexpect: y")
    assert e.value.line == 2 and str(e.value).startswith("unknown key 'exepct'")


def test_kallsyms_feature_is_known_and_checked_against_proc_kallsyms() -> None:
    from bpfhol.examples.model import parse_requirement
    from bpfhol.examples.toolchain import _kallsyms_data
    from bpfhol.examples.toolchain import unmet as unmet_here

    req = parse_requirement("feature kallsyms")
    assert req == Requirement("feature", "", "kallsyms")
    # Whatever this kernel's configuration, the requirement says the same as /proc/kallsyms.
    assert (unmet_here(req) is None) == _kallsyms_data()
