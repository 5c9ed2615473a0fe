"""Stacks in a program's output, and the stack exercise's criteria, on outputs as bpftrace 0.17 to
0.27 and BCC print them (each spelling below was printed by that version on the course machine,
tracing a Python 3.11 process that opens a file and lists a directory)."""

from __future__ import annotations

import json

import pytest

from bpfhol.config import ROOT
from bpfhol.grading.exercises import grade
from bpfhol.grading.parse import parse
from bpfhol.grading.reference import Reference
from bpfhol.grading.stackkeys import frame_function, split_stack_key
from bpfhol.labs import syscalls

KEY = syscalls.answer_key(0)  # ferryd: 70 % of its opens through the directory listing
COMM = KEY["stack"]["comm"]
# A seed whose larger share is the other way in (and so another share).
FLIPPED = syscalls.answer_key(
    next(s for s in range(1, 99) if syscalls.stacks_opens(s) * 2 > syscalls.poller.CALLS_PER_TICK)
)

# bpftrace 0.17, @opens[ustack] with a /comm == "ferryd"/ predicate (frames indented by 4).
BT_017 = """Attaching 1 probe...


@opens[
    __GI___libc_open+81
    0x662f642f
]: 33
@opens[
    __GI___open64_nocancel+65
]: 77
"""
# bpftrace 0.23 and 0.27: indented by 8; a key of name and stack; the stack before another part.
BT_027 = "".join(
    [
        f"@b[{COMM}, \n        open64+81\n]: 36\n",
        f"@b[{COMM}, \n        __open_nocancel+65\n]: 84\n",
        f"@a[\n        __open_nocancel+65\n        0x642f\n, {COMM}]: 84\n",
    ]
)
JSON_017 = json.dumps(
    {
        "type": "map",
        "data": {"@": {"\n    __GI___libc_open+81\n    0x662f642f\n": 30, "\n    __GI___open64_nocancel+65\n": 70}},
    }
)
# bpftrace 0.23 escapes the newlines once more: the key holds a backslash and an n.
JSON_023 = json.dumps(
    {
        "type": "map",
        "data": {"@b": {f"{COMM},\\n        open64+81\\n": 30, f"{COMM},\\n        __open_nocancel+65\\n": 70}},
    }
)
JSON_027 = json.dumps(
    {"type": "map", "data": {"@b": {f"{COMM},\nopen64+81\n": 30, f"{COMM},\n__open_nocancel+65\n": 70}}}
)
BCC_TABLE = f"""Tracing {COMM}'s openat(2) calls... Hit Ctrl-C to end.

FUNCTION                        COUNT
__open_nocancel                    70
__libc_open64                      30
"""
BCC_STACKCOUNT = """    __libc_open64+0x51
    [unknown]
        30
    __open_nocancel+0x41
    [unknown]
        70
"""
BT_SOURCE = f'tracepoint:syscalls:sys_enter_openat /comm == "{COMM}"/ {{ @opens[ustack] = count(); }}'


def stacks_of(text: str) -> list[tuple[tuple[str, ...], str | None, tuple[tuple[str, ...], ...]]]:
    return [(r.keys, r.value, r.stacks) for r in parse(text).records if r.stacks]


def test_bpftrace_text_keys_over_several_lines() -> None:
    assert stacks_of(BT_017) == [
        ((), "33", (("__GI___libc_open+81", "0x662f642f"),)),
        ((), "77", (("__GI___open64_nocancel+65",),)),
    ]
    assert stacks_of(BT_027) == [
        ((COMM,), "36", (("open64+81",),)),
        ((COMM,), "84", (("__open_nocancel+65",),)),
        ((COMM,), "84", (("__open_nocancel+65", "0x642f"),)),
    ]


def test_parts_after_a_stack_and_two_stacks_in_one_key() -> None:
    assert split_stack_key("\n    a+1\n, 4242, ferryd") == (("4242", "ferryd"), (("a+1",),))
    assert split_stack_key("ferryd, \n    a+1\n    b+2\n, \n    k+3\n") == (("ferryd",), (("a+1", "b+2"), ("k+3",)))


@pytest.mark.parametrize("text", [JSON_017, JSON_023, JSON_027], ids=["0.17", "0.23", "0.27"])
def test_bpftrace_json_keys_with_newlines(text: str) -> None:
    found = stacks_of(text)
    assert [frame_function(s[0][0]) for _, _, s in found] in (
        ["__GI___libc_open", "__GI___open64_nocancel"],
        ["open64", "__open_nocancel"],
    )
    assert [v for _, v, _ in found] == ["30", "70"]


def test_bcc_frames_a_line_then_the_count() -> None:
    assert stacks_of(BCC_STACKCOUNT) == [
        ((), "30", (("__libc_open64+0x51", "[unknown]"),)),
        ((), "70", (("__open_nocancel+0x41", "[unknown]"),)),
    ]


def test_frame_function() -> None:
    assert frame_function("__GI___libc_open+81") == "__GI___libc_open"
    assert frame_function("__libc_open64+0x51") == "__libc_open64"
    assert frame_function("0x7f4e396cd3a7") == "0x7f4e396cd3a7"
    assert frame_function("7f2a1c0e5a2f open64+81 (/usr/lib/x86_64-linux-gnu/libc.so.6)") == "open64"


def test_a_key_that_never_closes_is_read_as_lines() -> None:
    text = "@x[\n" + "".join(f"    f{i}+1\n" for i in range(250)) + "@y[a]: 1\n"
    out = parse(text)
    assert not any(r.stacks for r in out.records)
    assert any(r.name == "@y" for r in out.records)


@pytest.mark.parametrize(
    "text",
    [BT_017, JSON_017, JSON_023, JSON_027, BCC_TABLE, BCC_STACKCOUNT],
    ids=["text-0.17", "json-0.17", "json-0.23", "json-0.27", "bcc-table", "bcc-stackcount"],
)
def test_every_spelling_is_right_for_its_key_and_wrong_when_the_share_turns(text: str) -> None:
    v = grade("stack-1", text, KEY, source=BT_SOURCE, kind="bpftrace")
    assert v.right, v.as_json()
    v = grade("stack-1", text, FLIPPED, source=BT_SOURCE, kind="bpftrace")
    assert not v.right, v.as_json()


def test_against_the_reference_names_or_shares() -> None:
    """The reference (bpftrace) names the frames; an answer spelled the same is judged by name,
    one spelled otherwise (BCC's names, bare addresses) by the share it shows."""
    ref = Reference.from_output(
        f"@stacks[{COMM}, 4242, \n    __GI___libc_open+81\n]: 90\n"
        f"@stacks[{COMM}, 4242, \n    __GI___open64_nocancel+65\n]: 210\n"
    )
    assert grade("stack-1", BT_017, FLIPPED, ref, source=BT_SOURCE, kind="bpftrace").right  # the name decides
    assert grade("stack-1", BCC_TABLE, FLIPPED, ref, source=BT_SOURCE, kind="bpftrace").right  # the share
    reversed_names = BT_017.replace("]: 33", "]: 77x").replace("]: 77\n", "]: 33\n").replace("77x", "77")
    v = grade("stack-1", reversed_names, KEY, ref, source=BT_SOURCE, kind="bpftrace")
    assert not v.right and "not the one" in " ".join(v.messages()), v.as_json()


@pytest.mark.parametrize(
    ("text", "source", "expect"),
    [
        (
            "@[\n    perf_syscall_enter+475\n    do_syscall_64+527\n]: 100\n",
            BT_SOURCE.replace("ustack", "kstack"),
            "kernel's side",
        ),
        (f"@opens[{COMM}]: 100\n", BT_SOURCE, "not where they come from"),
        (BT_017, BT_SOURCE.replace(f'/comm == "{COMM}"/ ', ""), "not whose"),
        ("@[\n    __GI___libc_open+81\n]: 100\n", BT_SOURCE, "one function only"),
        (BT_017, BT_SOURCE.replace("openat", "close"), "does not trace openat"),
    ],
    ids=["kstack", "no-stack", "whole-machine", "one-function", "other-call"],
)
def test_wrong_answers_are_told_the_method_never_the_answer(text: str, source: str, expect: str) -> None:
    v = grade("stack-1", text, KEY, source=source, kind="bpftrace")
    said = " ".join(v.messages())
    assert not v.right and expect in said, v.as_json()
    s = KEY["stack"]
    for secret in (s["top_python"], s["top_libc"], f"{s['top_percent']}", "nocancel", "open64", "listdir"):
        assert secret not in said, (secret, said)


@pytest.mark.parametrize("out", ["stacks-top-function.out", "stacks-top-function-bcc.out"])
def test_the_pages_outputs_are_wrong_where_the_share_differs(out: str) -> None:
    """A copied output: right for the classic lab, wrong for one whose larger share is the other way in."""
    text = (ROOT / "snippets" / "syscalls" / out).read_text()
    assert grade("stack-1", text, KEY, source=BT_SOURCE, kind="bpftrace").right
    assert not grade("stack-1", text, FLIPPED, source=BT_SOURCE, kind="bpftrace").right


def test_an_empty_stack_is_a_way_in_of_its_own() -> None:
    """bpftrace 0.27 (Debian unstable) printed Python 3.13's open() as a stack with no frame."""
    text = "@opens[\n]: 45\n@opens[\n        __open_nocancel+60\n        0\n]: 105\n"
    assert stacks_of(text) == [((), "45", ((),)), ((), "105", (("__open_nocancel+60", "0"),))]
    assert split_stack_key(f"{COMM},\n") == ((COMM,), ((),))
    assert grade("stack-1", text, KEY, source=BT_SOURCE, kind="bpftrace").right
    v = grade("stack-1", "@[\n]: 100\n", KEY, source=BT_SOURCE, kind="bpftrace")
    assert not v.right and "empty" in " ".join(v.messages())


def test_a_filter_on_the_process_pid_keeps_it_alone() -> None:
    source = "tracepoint:syscalls:sys_enter_openat /pid == 4242/ { @[ustack] = count(); }"
    assert grade("stack-1", BT_017, KEY, source=source, kind="bpftrace", pids={COMM: 4242}).right
    v = grade("stack-1", BT_017, KEY, source=source, kind="bpftrace", pids={COMM: 777})
    assert not v.right and "not whose" in " ".join(v.messages())
