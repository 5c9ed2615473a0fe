"""Example comments: parsing, answer-key placeholders, and what a check reports."""

from __future__ import annotations

import pytest

from bpfhol.expect import SpecError, check, fill, parse_spec

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
    with pytest.raises(SpecError, match="needs the workload's answer key"):
        fill("{mmap.comm}", None)


def test_check_reports_each_broken_expectation() -> None:
    spec = parse_spec("expect: ^@\\[{mmap.comm}\\]: \\d+\\n*\\Z\nexpect-none: ERROR")
    assert check(spec, "@[other]: 1\n@[mapit]: 900\n", KEY) == []
    broken = check(spec, "@[mapit]: 900\n@[other]: 1\nERROR: x\n", KEY)
    assert len(broken) == 2
    assert broken[0].startswith("expect: ") and "did not match" in broken[0]
    assert broken[1] == "expect-none: ERROR  matched 'ERROR'"
