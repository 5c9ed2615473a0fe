"""What an example is, and the language of the comment that says what it promises.

On a page, the comment just above a runnable block says it, in the spirit of bpftrace's runtime
tests (RUN / EXPECT / EXPECT_NONE / TIMEOUT / REQUIRES):

    <!-- example
    run: 1
    expect: ^@\\[{mmap.comm}\\]: \\d+$
    expect-none: ^ERROR
    requires: bpftrace >= 0.19
    args: {pid.gatewayd}
    -->

`expect` and `expect-none` are Python regexes searched with re.MULTILINE over the whole output.
Placeholders are filled in from the running lab's answer key:
  {a.b}       the value, re.escape'd ({a.list.0} is a list's first item)
  {a.b±N}     any whole number within N of it
  {a.list.*}  each item in turn: the innermost group `( ... )` around it is repeated once per item,
              so a row per item, in order, is one expectation whatever the seed makes the list's length.
`long-lines: cut` shows a line too wide for the page cut short rather than wrapped (bpfhol.examples.shown).
`check: mmap-1` grades the output with that exercise's criteria (bpfhol.grading), the same ones
`bpfhol check` applies to a learner's program. `args` are the program's command-line arguments
($1 in bpftrace, sys.argv in Python), filled in as plain text from the same key, which also holds
the running workloads' pids: {pid.gatewayd}.

This layer imports nothing else of the engine: collect, run and judge build on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bpfhol.examples.shown import MODES

KEYS = (
    "run",
    "timeout",
    "expect",
    "expect-none",
    "exit",
    "exclusive",
    "illustration",
    "requires",
    "args",
    "check",
    "long-lines",
)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*?)(?:\.(\*)|±(\d+))?\}")
_REQUIREMENT = re.compile(
    r"^(?:(?P<arch>arch)\s+(?P<arches>[\w|]+)"
    r"|(?P<tool>bpftrace|bcc|kernel)\s*(?P<op>>=|<=|==|<|>)\s*(?P<version>\d+(?:\.\d+){0,2})"
    r"|(?P<feature>feature)\s+(?P<name>kprobes|btf|kallsyms))$"
)


class SpecError(ValueError):
    """An example comment that cannot be understood; `line` is the comment's line at fault (1 = its first)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Requirement:
    """One declared condition for an example to run: `arch x86_64`, `bpftrace >= 0.19`, `bcc >= 0.21`,
    `feature kprobes`."""

    what: str  # "arch", "bpftrace", "bcc", "kernel" or "feature"
    op: str = ""
    value: str = ""

    def __str__(self) -> str:
        return f"{self.what} {self.op} {self.value}".replace("  ", " ").strip()


def parse_requirement(text: str) -> Requirement:
    m = _REQUIREMENT.match(text.strip())
    if m is None:
        raise SpecError(
            f"{text!r}: expected 'arch NAME[|NAME]', 'bpftrace OP X.Y', 'bcc OP X.Y', 'kernel OP X.Y' "
            "(OP one of >= <= == < >) or 'feature kprobes|btf|kallsyms'"
        )
    if m["arch"]:
        return Requirement("arch", "in", m["arches"])
    if m["tool"]:
        return Requirement(m["tool"], m["op"], m["version"])
    return Requirement("feature", "", m["name"])


@dataclass
class Spec:
    run: float | None = None
    timeout: float | None = None
    expect: list[str] = field(default_factory=list)
    expect_none: list[str] = field(default_factory=list)
    exit: int = 0
    exclusive: bool = False
    illustration: str | None = None
    requires: list[Requirement] = field(default_factory=list)
    args: str | None = None
    check: str | None = None  # an exercise id: its answer criteria judge the output too
    long_lines: str = "wrap"  # how the shown output fits a line wider than shown.WIDTH: wrap or cut

    @property
    def hard_timeout(self) -> float:
        return self.timeout if self.timeout is not None else (self.run or 0) + 20


def parse_spec(body: str) -> Spec:
    """Parse the `key: value` lines of an example comment."""
    spec = Spec()
    check_line = None
    for n, raw in enumerate(body.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or key not in KEYS:
            raise SpecError(f"unknown key {key!r}: expected one of {', '.join(KEYS)}", n)
        if not value:
            raise SpecError(f"'{key}' needs a value", n)
        try:
            if key == "run":
                spec.run = float(value)
            elif key == "timeout":
                spec.timeout = float(value)
            elif key == "exit":
                spec.exit = int(value)
            elif key == "exclusive":
                spec.exclusive = value.lower() in ("yes", "true", "1")
            elif key == "illustration":
                spec.illustration = value
            elif key == "requires":
                spec.requires.append(parse_requirement(value))
            elif key == "args":
                spec.args = value
            elif key == "check":
                spec.check, check_line = value, n
            elif key == "long-lines":
                if value not in MODES:
                    raise ValueError(f"{value!r}: expected {' or '.join(MODES)}")
                spec.long_lines = value
            else:
                _compile_template(value)  # a typo'd regex fails here, not at run time
                (spec.expect if key == "expect" else spec.expect_none).append(value)
        except (ValueError, re.error) as e:
            raise SpecError(f"{key}: {e}", n) from None
    if spec.check is not None:
        from bpfhol.grading.exercises import EXERCISES  # the ids live with the criteria

        if spec.check not in EXERCISES:
            raise SpecError(f"check: unknown exercise '{spec.check}' (known: {', '.join(EXERCISES)})", check_line)
    if spec.illustration and (spec.expect or spec.expect_none or spec.run):
        raise SpecError("an illustration is shown, not run: it takes no run/expect lines")
    if not spec.illustration and not spec.expect:
        raise SpecError("no 'expect:' line: say what the output must show (or mark it 'illustration: why')")
    return spec


@dataclass
class Example:
    """One runnable block of a page, as the site shows it."""

    page: Path  # relative to the project
    line: int  # of the program's opening fence
    kind: str  # "bpftrace", "python" (BCC) or "sh"
    source: str  # includes expanded: what the reader sees and what runs
    includes: list[str]  # snippet files the block pulls in
    spec: Spec
    lab: str | None = None  # the lab the page runs against (its front matter's `lab:`)
    shown_name: str | None = None  # the .out file the shown-output block includes
    shown: str | None = None  # its text, None when missing
    problems: list[str] = field(default_factory=list)  # the page itself is wrong

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def snippet(self) -> str:
        return ", ".join(f"snippets/{n}" for n in self.includes) or "(inline on the page)"


@dataclass
class Illustration:
    page: Path
    line: int
    language: str
    reason: str


@dataclass
class PageProblem:
    """Something wrong with a page itself, at its line: an unknown marker or front-matter key, a stray comment."""

    page: Path
    line: int
    message: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


# --- answer-key placeholders ------------------------------------------------------------------------


def lookup(key: dict[str, Any], dotted: str) -> Any:
    value: Any = key
    for part in dotted.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]  # {open.opener.files.0}: an item of a list
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise SpecError(f"the answer key has no '{dotted}'")
    return value


def _group_around(pattern: str, pos: int) -> tuple[int, int]:
    """Bounds of the innermost regex group `( ... )` holding position `pos` (escapes and [...] skipped)."""
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            stack.append(i)
        elif c == ")" and stack:
            pairs.append((stack.pop(), i + 1))
        i += 1
    around = [(a, b) for a, b in pairs if a < pos < b]
    if not around:
        raise SpecError("a {list.*} placeholder must sit inside a group ( ... ) to repeat")
    return max(around)  # the innermost starts last


def _expand_each(pattern: str, key: dict[str, Any]) -> str:
    while m := next((m for m in _PLACEHOLDER.finditer(pattern) if m.group(2)), None):
        start, end = _group_around(pattern, m.start())
        group = pattern[start:end]
        lists = {g.group(1) for g in _PLACEHOLDER.finditer(group) if g.group(2)}
        lengths = set()
        for name in lists:
            value = lookup(key, name)
            if not isinstance(value, list):
                raise SpecError(f"'{{{name}.*}}': the answer key's '{name}' is not a list")
            lengths.add(len(value))
        if len(lengths) != 1:
            raise SpecError(f"lists repeated in one group differ in length: {', '.join(sorted(lists))}")
        n = lengths.pop()

        def item(i: int, group: str = group) -> str:
            return _PLACEHOLDER.sub(lambda ph: f"{{{ph.group(1)}.{i}}}" if ph.group(2) else ph.group(0), group)

        pattern = pattern[:start] + "".join(item(i) for i in range(n)) + pattern[end:]
    return pattern


def fill(pattern: str, key: dict[str, Any] | None) -> str:
    """Replace answer-key placeholders in a regex."""
    if _PLACEHOLDER.search(pattern) and key is None:
        raise SpecError(
            f"'{_PLACEHOLDER.search(pattern).group(0)}' needs a lab's answer key, and the page "  # type: ignore[union-attr]
            "runs with no lab (add `lab: NAME` to its front matter)"
        )
    if key is None:
        return pattern
    pattern = _expand_each(pattern, key)

    def sub(m: re.Match[str]) -> str:
        value = lookup(key, m.group(1))
        if m.group(3) is None:
            return re.escape(str(value))
        spread, centre = int(m.group(3)), int(value)
        return "(?:" + "|".join(str(v) for v in range(centre - spread, centre + spread + 1)) + ")"

    return _PLACEHOLDER.sub(sub, pattern)


def fill_text(template: str, key: dict[str, Any] | None) -> str:
    """Replace placeholders with the plain values (for arguments, not regexes)."""
    if key is None and _PLACEHOLDER.search(template):
        raise SpecError(f"'{template}' needs a lab's answer key, and the page runs with no lab")
    return _PLACEHOLDER.sub(lambda m: str(lookup(key or {}, m.group(1))), template)


def _compile_template(pattern: str) -> None:
    # Placeholders stand for plain text; check the rest of the regex compiles.
    re.compile(_PLACEHOLDER.sub("x", pattern), re.MULTILINE)
