"""stack-2's criteria (which path each of ferryd's two ways into openat(2) opens), on outputs as
bpftrace and BCC print them: the paths under the functions, judged against the key's, and feedback
that names the missing method, never a path."""

from __future__ import annotations

from typing import Any

import pytest

from bpfhol.config import ROOT
from bpfhol.grading.exercises import grade
from bpfhol.labs import syscalls

KEY = syscalls.answer_key(0)  # 70 % through the listing of the directory
ST = KEY["stack"]
COMM, FILE, LISTED = ST["comm"], ST["open_path"], ST["listdir_path"]


def _seed(ok: Any) -> dict[str, Any]:
    return syscalls.answer_key(next(s for s in range(1, 199) if ok(syscalls.answer_key(s)["stack"])))


# The classic share with two other paths, and the classic paths with the other way in the larger.
MOVED = _seed(
    lambda s: s["open_percent"] == ST["open_percent"] and {s["open_path"], s["listdir_path"]} & {FILE, LISTED} == set()
)
FLIPPED = _seed(lambda s: s["open_percent"] > 50 and (s["open_path"], s["listdir_path"]) == (FILE, LISTED))
SOURCE = f'tracepoint:syscalls:sys_enter_openat /comm == "{COMM}"/ {{ @opens[ustack, str(args->filename)] = count(); }}'

OPEN, LISTING = "@opens[\n    __GI___libc_open+81\n", "@opens[\n    __GI___open64_nocancel+65\n"
BT_017 = f"{OPEN}, {FILE}]: 30\n{LISTING}    0x662f\n, {LISTED}]: 70\n"
# bpftrace 0.27: the open's stack with no frame (Python 3.13), indented by 8.
BT_027 = f"@opens[\n, {FILE}]: 30\n@opens[\n        __open_nocancel+60\n        0\n, {LISTED}]: 70\n"
BCC = f"FUNCTION              PATH         COUNT\n__open_nocancel  {LISTED}  70\n__libc_open64  {FILE}  30\n"
BCC_PATH_FIRST = f"PATH         SYMBOL            CALLS\n{FILE}  __libc_open64  30\n{LISTED}  __open_nocancel  70\n"


def _said(text: str, key: dict[str, Any], source: str = SOURCE) -> tuple[bool, str]:
    v = grade("stack-2", text, key, source=source, kind="bpftrace")
    return v.right, " ".join(v.messages())


@pytest.mark.parametrize(
    "text", [BT_017, BT_027, BCC, BCC_PATH_FIRST], ids=["bt-0.17", "bt-0.27", "bcc", "bcc-path-first"]
)
def test_each_spelling_is_right_for_its_paths_and_wrong_for_others(text: str) -> None:
    assert _said(text, KEY)[0], _said(text, KEY)
    assert not _said(text, MOVED)[0]
    right, said = _said(text, FLIPPED)  # the same paths, but the larger share is os.open's
    assert not right and "not the one" in said, said


@pytest.mark.parametrize("out", ["stacks-paths.out", "stacks-paths-bcc.out"])
def test_the_pages_outputs_are_wrong_for_another_seeds_paths(out: str) -> None:
    text = (ROOT / "snippets" / "syscalls" / out).read_text()
    assert _said(text, KEY)[0]
    assert not _said(text, MOVED)[0]


@pytest.mark.parametrize(
    ("text", "source", "expect"),
    [
        (
            BT_017.replace(f", {FILE}]", f", {LISTED}x]").replace(f", {LISTED}]", f", {FILE}]").replace("x]", "]"),
            SOURCE,
            "not the one",
        ),
        (
            f"{OPEN}]: 30\n{LISTING}]: 70\n",
            SOURCE,
            "not what they open",
        ),
        (f"@paths[{FILE}]: 30\n@paths[{LISTED}]: 70\n", SOURCE, "not which way in"),
        (
            f"{OPEN}]: 30\n{LISTING}]: 70\n@p[{FILE}]: 30\n@p[{LISTED}]: 70\n",
            SOURCE,
            "apart",
        ),
        (f"{OPEN}, {FILE}]: 100\n", SOURCE, "one function only"),
        (BT_017, SOURCE.replace(f'/comm == "{COMM}"/ ', ""), "not whose"),
        (BT_017, SOURCE.replace("openat", "close"), "does not trace openat"),
    ],
    ids=["swapped", "stack-only", "path-only", "apart", "one-function", "whole-machine", "other-call"],
)
def test_wrong_answers_are_told_the_method_never_the_paths(text: str, source: str, expect: str) -> None:
    right, said = _said(text, KEY, source)
    assert not right and expect in said, said
    for secret in (FILE, LISTED):
        assert secret not in said, (secret, said)
