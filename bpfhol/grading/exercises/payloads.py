"""Exercises: What a call carries. The token gatewayd writes, the mode it reads from its settings file,
and which file that is, from the descriptor its reads name.

Judged against the answer key alone (one process's data, not the whole machine). Wrong answers
are told where and when to copy a buffer, never the token, the file or the mode.
"""

from __future__ import annotations

from bpfhol.grading.evidence import Evidence
from bpfhol.grading.exercises.registry import Family
from bpfhol.grading.probes import require
from bpfhol.grading.verdict import Verdict

PAYLOADS = Family("payloads", page="syscalls/payloads.md", lab="io")


def _traces(ev: Evidence, v: Verdict, syscall: str) -> bool:
    return require(ev.probes, v, syscall, "see What a call carries", either_side=True)


def _says(ev: Evidence, text: str) -> bool:
    return any(text in (r.line or r.text()) for r in ev.out.records)


@PAYLOADS.exercise(
    id="payloads-1",
    section="1. What does gatewayd log?",
    question="What is the session token gatewayd writes to its standard error?",
    subject="gatewayd",
)
def token(ev: Evidence, v: Verdict) -> None:
    pay = ev.key["payloads"]
    if not _traces(ev, v, "write"):
        return
    if _says(ev, pay["token"]):
        v.add("token", True, f"{pay['comm']}'s token is {pay['token']}: your output shows the line it writes")
    else:
        v.add(
            "token",
            False,
            f"your output does not show {pay['comm']}'s token: copy the buffer of each write(2) it "
            "makes on its standard error (args->buf, args->count bytes), for its pid ($1)",
        )


@PAYLOADS.exercise(
    id="payloads-2",
    section="2. What does gatewayd read?",
    question="In which mode does gatewayd run (what does it read from its settings file)?",
    subject="gatewayd",
)
def mode(ev: Evidence, v: Verdict) -> None:
    pay = ev.key["payloads"]
    if not _traces(ev, v, "read"):
        return
    no_exit = ev.sees("read", "exit") is False
    if no_exit and ev.sees("read") is True:
        v.add(
            "mode",
            False,
            "you copy the buffer at sys_enter_read, before the kernel fills it: what it holds "
            "then is what was there before the call (here, by luck, the previous read of the same "
            "file); copy it at sys_exit_read, args->ret bytes from the address kept at the entry",
        )
    elif _says(ev, pay["mode_line"]):
        v.add("mode", True, f"{pay['comm']} runs in {pay['mode']} mode: your output shows the line it reads")
    else:
        v.add(
            "mode",
            False,
            "your output does not show the line of the settings file that gives the mode: the "
            "buffer is filled during the call, so copy it at sys_exit_read (the address kept from "
            "the entry, args->ret bytes)" + (" — your program has no exit probe on read" if no_exit else ""),
        )


@PAYLOADS.exercise(
    id="payloads-3",
    section="3. Going further: which file does gatewayd read?",
    question="gatewayd's read(2) calls name a descriptor: which file do they read (its path, as opened)?",
    subject="gatewayd",
)
def read_file(ev: Evidence, v: Verdict) -> None:
    pay = ev.key["payloads"]
    if not _traces(ev, v, "read"):
        return
    if ev.sees("openat", "exit") is False:
        v.add(
            "file",
            False,
            "a read names only a descriptor, a number its open returned: trace openat(2) too, keep the "
            "path from its entry and, at its exit (args->ret), remember which descriptor got it",
        )
    elif _says(ev, pay["settings"]):
        v.add("file", True, f"{pay['comm']} reads {pay['settings']}: your output names it")
    else:
        v.add(
            "file",
            False,
            "your output does not name the file the reads come from: look each read's descriptor "
            "(args->fd) up in a map that openat's exit filled (descriptor -> the path from its entry), "
            "and forget a descriptor at close(2)",
        )
