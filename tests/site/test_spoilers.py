"""No answer before its question: the built site, read in nav order, never gives an exercise's
answer before that exercise's solution.

The answers are not written here: each comes from the answer key of the scenario the pages
show (seed 0), so a seed, a name or a size that changes moves the test with it. What a
learner reads before a solution is every earlier page in the nav (collapsed blocks included:
one click opens them) and, on the exercise's own page, everything above its solution block:
prose, hints and shown outputs.

A process name is an answer only when a block singles it out: the primer's outputs list every
process of the lab, which tells nothing of who does what (see `singles_out`). A block is a paragraph, a list
item, a table cell, a summary or a code block.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from bpfhol.labs import io, syscalls
from tests.site.builtsite import Site
from tests.site.htmltree import Element

KEY = syscalls.answer_key(0)
IO_KEY = io.answer_key(0)
LAB_NAMES = set(syscalls.LAB.comms(0))
BLOCK_TAGS = {"p", "li", "td", "th", "summary", "h1", "h2", "h3", "h4", "dt", "dd"}


@dataclass
class Unit:
    text: str
    kind: str  # "prose", "program" or "output" (a code block titled Output)
    program: str  # for an output: the program shown just before it


class _Reached(Exception):
    """The walk reached the block it stops at."""


def units(article: Element, stop: Element | None = None) -> list[Unit]:
    """The article's blocks in document order, up to (not into) `stop`."""
    found: list[Unit] = []
    program = ""

    def walk(e: Element) -> None:
        nonlocal program
        if e is stop:
            raise _Reached
        if e.tag == "div" and "highlight" in e.classes:
            title = e.find(lambda x: x.tag == "span" and "filename" in x.classes)
            code = e.find(lambda x: x.tag == "code")
            text = code.text() if code is not None else e.text()
            if title is not None and title.text().strip() == "Output":
                found.append(Unit(text, "output", program))
            else:
                program = text
                found.append(Unit(text, "program", ""))
            return
        if e.tag in BLOCK_TAGS:
            found.append(Unit(e.text(), "prose", ""))
        for child in e.children:
            if isinstance(child, Element):
                walk(child)

    try:
        walk(article)
    except _Reached:
        pass
    return found


def singles_out(name: str) -> Callable[[Unit], bool]:
    """The block names this process, and at most one other of the lab: a block that names three
    or more (a listing, an output of every process) tells nothing of who does what."""
    word = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    others = LAB_NAMES - {name}

    def told(u: Unit) -> bool:
        return bool(word.search(u.text)) and sum(bool(re.search(rf"\b{re.escape(o)}\b", u.text)) for o in others) < 2

    return told


def any_of(*patterns: str) -> Callable[[Unit], bool]:
    compiled = [re.compile(p) for p in patterns]
    return lambda u: any(p.search(u.text) for p in compiled)


def sizes_told(u: Unit) -> bool:
    """Two or more of the mapping sizes that are not a power of two (those are every histogram's
    bucket edges), in KiB or in bytes."""
    odd = [k for k in KEY["mmap"]["sizes_kib"] if k & (k - 1)]
    seen = {k for k in odd if re.search(rf"(?<![\d.]){k} ?(KiB|K\b)|(?<![\d.]){k * 1024}(?!\d)", u.text)}
    return len(seen) >= 2


def workload_open_told(u: Unit) -> bool:
    """An output of a program traced against the workload (not a command it starts itself, -c)
    in which sys_enter_open fired: the open exercise's twist."""
    if u.kind != "output" or "cpid" in u.program or re.search(r"-c\s", u.program):
        return False
    return bool(re.search(r"sys_enter_open\b(?!at).*?\]?:? +[1-9]", u.text))


def _fds() -> list[str]:
    fds = KEY["close"]["never_opened_fds"]
    pats = [rf"\b{fds[0]}\s*(-|–|\.\.|to)\s*{fds[-1]}\b"]
    pats += [rf"(close\(|\bfd[ =:]+|descriptors? ){fd}\b" for fd in fds]
    return pats


def raw_call_told(u: Unit) -> bool:
    """The raw-syscalls exercise's process beside its call, by name or by number: a block about
    harbord that names the call it repeats (`uname`, `newuname`) or shows its number in a key or
    row (`@calls[63]`, `harbord, 63`); an output is about harbord when its program is."""
    raw = KEY["raw"]
    about = u.text + (u.program if u.kind == "output" else "")
    if not re.search(rf"(?<![\w-]){re.escape(raw['comm'])}(?![\w-])", about):
        return False
    names = "|".join(re.escape(n) for n in {raw["syscall"], f"new{raw['syscall']}"})
    if re.search(rf"(?<![A-Za-z0-9])(?:{names})(?![A-Za-z0-9])", u.text):
        return True
    nr = raw["nr"]
    return nr is not None and re.search(rf"\[{nr}\]|, {nr}\]|^\S* *{nr} +\d+$", u.text, re.M) is not None


def raw_fail_told(u: Unit) -> bool:
    """The going-further raw question's answer: a block about harbord that shows the error its
    failing call ends with, by name (`ESRCH`), message, or number beside the call's
    (`@failed[62, 3]`, a row `62 3`)."""
    raw = KEY["raw"]
    about = u.text + (u.program if u.kind == "output" else "")
    if not re.search(rf"(?<![\w-]){re.escape(raw['comm'])}(?![\w-])", about):
        return False
    if re.search(rf"\b{raw['fail_error']}\b|{re.escape(raw['fail_message'])}", u.text, re.I):
        return True
    nr, err = raw["fail_nr"], raw["fail_errno"]
    return nr is not None and re.search(rf"\b{nr}, -?{err}\]|\b{nr} +-?{err}\b", u.text) is not None


def exit_status_told(u: Unit) -> bool:
    """The going-further exec question's answer: the started program's name beside its exit
    status, in a key or row (`@status[routerd, expr, 1]`, `expr  1`) or in words (`status 1`)."""
    x = KEY["exec"]
    name, status = re.escape(x["program_comm"]), x["status"]
    if not re.search(rf"(?<![\w/-]){name}(?![\w-])", u.text):
        return False
    row = rf"(?<![\w/-]){name}(?:\]|,)? +{status}(?![\w.])|{name}, {status}\]"
    words = rf"(?:status|code)\W+{status}(?![\w.])"
    return re.search(row, u.text) is not None or (u.kind == "prose" and re.search(words, u.text) is not None)


# The words that name each way into ferryd's opens: the Python call, the C library function behind
# it, and that function's names as tracers print them on the course machine (checked on its page).
STACK_WAYS = {"os.listdir": r"nocancel|opendir|listdir", "os.open": r"open64|libc_open|os\.open\b"}


def stack_top_told(u: Unit) -> bool:
    """A block about ferryd (an output: its program is) that names the way most of its opens take."""
    st = KEY["stack"]
    about = u.text + (u.program if u.kind == "output" else "")
    if not re.search(rf"(?<![\w-]){re.escape(st['comm'])}(?![\w-])", about):
        return False
    return re.search(STACK_WAYS[st["top_python"]], u.text) is not None


def stack_paths_told(u: Unit) -> bool:
    """The path either way in opens: the listed directory's name anywhere (no other page uses it),
    the state file's as a path is written (`state`, "state", a key's `, state]`), not the word."""
    st = KEY["stack"]
    listed, file = re.escape(st["listdir_path"]), re.escape(st["open_path"])
    told = rf"(?<![\w/.-]){listed}(?![\w-])|[`\"'/]{file}\b|, {file}\]|\b{file} +\d+$"
    return re.search(told, u.text, re.M) is not None


def clock_told(u: Unit) -> bool:
    """The clock exercise's process beside the clock it asks the kernel for: a block about it that
    names the clock (`CLOCK_PROCESS_CPUTIME_ID`) or shows its id in a key or row (`@reads[mailerd, 2]`,
    `mailerd  2  40`); an output is about the process when its program is."""
    k = KEY["clock"]
    about = u.text + (u.program if u.kind == "output" else "")
    comm = re.escape(k["comm"])
    if not re.search(rf"(?<![\w-]){comm}(?![\w-])", about):
        return False
    if re.search(rf"\b{k['clock']}\b", u.text):
        return True
    cid = k["clock_id"]
    return re.search(rf"\[(?:{comm}, )?{cid}\]|^{comm} +{cid} +\d+", u.text, re.M) is not None


@dataclass(frozen=True)
class Secret:
    exercise: str
    what: str
    page: str  # site-relative page of the exercise
    solution: int  # which solution block of that page answers it (0-based)
    told: Callable[[Unit], bool]


SECRETS = [
    Secret("raw-1", f"harbord's most frequent call ({KEY['raw']['syscall']})", "syscalls/raw-syscalls.html", 0,
           raw_call_told),
    Secret("mmap-1", f"the top mmap caller ({KEY['mmap']['comm']})", "syscalls/exercises-mmap.html", 0,
           singles_out(KEY["mmap"]["comm"])),
    Secret("mmap-2", f"the mapping sizes ({KEY['mmap']['sizes_kib']} KiB)", "syscalls/exercises-mmap.html", 1,
           sizes_told),
    Secret("open-1", "that a workload process calls open(2)", "syscalls/exercises-open.html", 0,
           workload_open_told),
    Secret("open-1", f"the file opened with open(2) ({KEY['open']['oldopen']['file']})",
           "syscalls/exercises-open.html", 0, any_of(re.escape(KEY["open"]["oldopen"]["file"]))),
    Secret("open-2", f"the open(2) caller ({KEY['open']['oldopen']['comm']})", "syscalls/exercises-open.html", 1,
           singles_out(KEY["open"]["oldopen"]["comm"])),
    Secret("open-3", f"the temp-file maker ({KEY['open']['tempfiles']['comm']})", "syscalls/exercises-open.html", 2,
           singles_out(KEY["open"]["tempfiles"]["comm"])),
    Secret("close-1", f"the bad-close process ({KEY['close']['comm']})", "syscalls/exercises-close.html", 0,
           singles_out(KEY["close"]["comm"])),
    Secret("close-1", f"the never-opened descriptors ({KEY['close']['never_opened_fds']})",
           "syscalls/exercises-close.html", 0, any_of(*_fds())),
    Secret("exec-1", f"the program started again and again ({KEY['exec']['program']})", "syscalls/exercises-exec.html",
           0, any_of(re.escape(KEY["exec"]["token"]), re.escape(KEY["exec"]["command"]))),
    Secret("exec-1", f"the process that starts it ({KEY['exec']['comm']})", "syscalls/exercises-exec.html", 0,
           singles_out(KEY["exec"]["comm"])),
    Secret("stack-1", f"the way most of ferryd's opens take ({KEY['stack']['top_libc']})",
           "syscalls/exercises-stacks.html", 0, stack_top_told),
    Secret("clock-1", f"the process that reads a clock through the kernel ({KEY['clock']['comm']})",
           "syscalls/probe-naming.html", 0, singles_out(KEY["clock"]["comm"])),
    Secret("clock-1", f"the clock it asks the kernel for ({KEY['clock']['clock']})", "syscalls/probe-naming.html", 0,
           clock_told),
    Secret("latency-1", f"the slow call's time ({IO_KEY['latency']['slow']['wait_ms']} ms)", "syscalls/latency.html",
           0, any_of(rf"(?<![\d.]){IO_KEY['latency']['slow']['wait_ms']} ?ms\b")),
    Secret("raw-2", f"harbord's failing call's error ({KEY['raw']['fail_error']})", "syscalls/raw-syscalls.html", 1,
           raw_fail_told),
    Secret("exec-2", f"the started program's exit status ({KEY['exec']['status']})", "syscalls/exercises-exec.html",
           1, exit_status_told),
    Secret("stack-2", f"the paths ferryd opens ({KEY['stack']['listdir_path']}, {KEY['stack']['open_path']})",
           "syscalls/exercises-stacks.html", 1, stack_paths_told),
]  # fmt: skip


def before_solution(site: Site, secret: Secret) -> Iterator[tuple[str, Unit]]:
    """(where, block) for everything a learner reads before the secret's solution."""
    for page in site.nav_pages:
        if page.rel == secret.page:
            stop = page.solutions()[secret.solution]
            for u in units(page.article, stop):
                yield page.rel, u
            return
        for u in units(page.article):
            yield page.rel, u
    pytest.fail(f"{secret.page} is not in the nav")


def spoilers(site: Site, secret: Secret) -> list[str]:
    found = []
    for where, u in before_solution(site, secret):
        if secret.told(u):
            found.append(f"{where}: {u.kind} block gives {secret.what}: {' '.join(u.text.split())[:160]!r}")
    return found


@pytest.mark.parametrize("secret", SECRETS, ids=lambda s: f"{s.exercise}:{s.what.split(' (')[0]}")
def test_no_answer_before_its_solution(site: Site, secret: Secret) -> None:
    found = spoilers(site, secret)
    assert not found, f"{secret.exercise}'s answer shows before its solution:\n  " + "\n  ".join(found)


def test_each_secret_is_found_in_its_solution(site: Site) -> None:
    """The detectors themselves: each one finds its answer where the answer is given."""
    for secret in SECRETS:
        page = next(p for p in site.nav_pages if p.rel == secret.page)
        sol = page.solutions()[secret.solution]
        # The solution block and what follows it on the page (a later solution may give it).
        after = list(units(sol)) + [u for u in units(page.article) if u.kind == "output"]
        assert any(secret.told(u) for u in after) or secret.exercise in ("open-1",), secret.what


def test_the_detectors_catch_what_they_should() -> None:
    name = KEY["close"]["comm"]
    assert singles_out(name)(Unit(f"{name} closes bad descriptors", "prose", ""))
    assert not singles_out(name)(Unit(" ".join(LAB_NAMES), "output", ""))
    raw = KEY["raw"]
    assert raw_call_told(Unit(f"@calls[{raw['nr']}]: 500", "output", f'/comm == "{raw["comm"]}"/'))
    assert raw_call_told(Unit(f"{raw['comm']} calls {raw['syscall']}(2)", "prose", ""))
    assert not raw_call_told(Unit(f"{raw['comm']} makes one call far more often", "prose", ""))
    assert not raw_call_told(Unit(f"@sleeps[{raw['comm']}]: 10", "output", ""))
    assert raw_fail_told(Unit(f"@failed[{raw['fail_nr']}, {raw['fail_errno']}]: 10", "output", '/comm == "harbord"/'))
    assert raw_fail_told(Unit(f"harbord's call fails with {raw['fail_error']}", "prose", ""))
    assert not raw_fail_told(Unit(f"@calls[{raw['fail_nr']}]: 10", "output", '/comm == "harbord"/'))
    x = KEY["exec"]
    assert exit_status_told(Unit(f"@status[{x['comm']}, {x['program_comm']}, {x['status']}]: 4", "output", ""))
    assert exit_status_told(Unit(f"{x['program_comm']} ends with status {x['status']}", "prose", ""))
    assert not exit_status_told(Unit(f"{x['program']} {' '.join(x['args'])}", "output", ""))
    st = KEY["stack"]
    assert stack_top_told(Unit("@opens[\n    __GI___open64_nocancel+65\n]: 77", "output", f'/comm == "{st["comm"]}"/'))
    assert not stack_top_told(Unit(f"{st['comm']} opens through more than one function", "prose", ""))
    assert not stack_top_told(Unit("opendir() opens with an internal function", "prose", ""))
    assert stack_paths_told(Unit(f"@opens[\n    open64+81\n, {st['open_path']}]: 30", "output", ""))
    assert stack_paths_told(Unit(f"__open_nocancel  {st['listdir_path']}  70", "output", ""))
    assert stack_paths_told(Unit(f"it opens `{st['open_path']}`", "prose", ""))
    assert not stack_paths_told(Unit(f"it opens its {st['open_path']} file", "prose", ""))
    clock = KEY["clock"]
    assert clock_told(Unit(f"@reads[{clock['comm']}, {clock['clock_id']}]: 40", "output", "tracepoint:"))
    assert clock_told(Unit(f"{clock['comm']} asks the kernel for {clock['clock']}", "prose", ""))
    assert not clock_told(Unit(f"@reads[{clock['comm']}, 9]: 40", "output", ""))
    assert not clock_told(Unit(f"{clock['clock']} is one of the clocks", "prose", ""))
    fd = KEY["close"]["never_opened_fds"][0]
    assert any_of(*_fds())(Unit(f"program: close({fd}) = -1", "output", ""))
    assert not any_of(*_fds())(Unit(f"@mmaps[x]: {fd}", "output", ""))
    assert workload_open_told(Unit("@calls[tracepoint:syscalls:sys_enter_open, 2]: 10", "output", "tracepoint:"))
    assert not workload_open_told(Unit("@[tracepoint:syscalls:sys_enter_open]: 1", "output", "bpftrace -c 'x'"))
    odd = [k for k in KEY["mmap"]["sizes_kib"] if k & (k - 1)]
    assert sizes_told(Unit(f"too coarse to tell {odd[-2]} KiB from {odd[-1]} KiB", "prose", ""))
