"""What an example promises about its output, and checking that promise.

On a page, the comment just above a runnable block says it, in the spirit of
bpftrace's runtime tests (RUN/EXPECT/EXPECT_REGEX/EXPECT_NONE/TIMEOUT):

    <!-- example
    run: 1
    expect: ^@\\[{mmap.comm}\\]: \\d+$
    expect-none: ^ERROR
    -->

`expect` and `expect-none` are Python regexes searched with re.MULTILINE over the whole
output.  `{a.b}` is filled in from the running scenario's answer key (re.escape'd;
`{a.list.0}` is a list's first item), and
`{a.b±N}` with every integer within N of it, so an expectation states the answer key's
claim instead of a copy of one run's numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

KEYS = ("run", "timeout", "expect", "expect-none", "exit", "exclusive", "illustration")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)(?:±(\d+))?\}")


class SpecError(ValueError):
    """An example comment that cannot be understood."""


@dataclass
class Spec:
    run: float | None = None
    timeout: float | None = None
    expect: list[str] = field(default_factory=list)
    expect_none: list[str] = field(default_factory=list)
    exit: int = 0
    exclusive: bool = False
    illustration: str | None = None

    @property
    def hard_timeout(self) -> float:
        return self.timeout if self.timeout is not None else (self.run or 0) + 20


def parse_spec(body: str) -> Spec:
    """Parse the `key: value` lines of an example comment."""
    spec = Spec()
    for n, raw in enumerate(body.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or key not in KEYS:
            raise SpecError(f"line {n} of the example comment: expected one of {', '.join(KEYS)}: got {line!r}")
        if not value:
            raise SpecError(f"line {n} of the example comment: '{key}' needs a value")
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
            else:
                _compile_template(value)  # a typo'd regex fails here, not at run time
                (spec.expect if key == "expect" else spec.expect_none).append(value)
        except (ValueError, re.error) as e:
            raise SpecError(f"line {n} of the example comment ({key}): {e}") from None
    if spec.illustration and (spec.expect or spec.expect_none or spec.run):
        raise SpecError("an illustration is shown, not run: it takes no run/expect lines")
    if not spec.illustration and not spec.expect:
        raise SpecError("no 'expect:' line: say what the output must show (or mark it 'illustration: why')")
    return spec


def _lookup(key: dict[str, Any], dotted: str) -> Any:
    value: Any = key
    for part in dotted.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]  # {open.opener.files.0}: an item of a list
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise SpecError(f"the answer key has no '{dotted}'")
    return value


def fill(pattern: str, key: dict[str, Any] | None) -> str:
    """Replace answer-key placeholders in a regex."""

    def sub(m: re.Match[str]) -> str:
        if key is None:
            raise SpecError(f"'{m.group(0)}' needs the workload's answer key, and none is running")
        value = _lookup(key, m.group(1))
        if m.group(2) is None:
            return re.escape(str(value))
        spread, centre = int(m.group(2)), int(value)
        return "(?:" + "|".join(str(v) for v in range(centre - spread, centre + spread + 1)) + ")"

    return _PLACEHOLDER.sub(sub, pattern)


def _compile_template(pattern: str) -> None:
    # Placeholders stand for plain text; check the rest of the regex compiles.
    re.compile(_PLACEHOLDER.sub("x", pattern), re.MULTILINE)


def check(spec: Spec, output: str, key: dict[str, Any] | None) -> list[str]:
    """The expectations `output` breaks, each as one line naming the expectation."""
    broken = []
    for pattern in spec.expect:
        filled = fill(pattern, key)
        if not re.search(filled, output, re.MULTILINE):
            checked = f"  (as checked: {filled})" if filled != pattern else ""
            broken.append(f"expect: {pattern}{checked}  did not match")
    for pattern in spec.expect_none:
        m = re.search(fill(pattern, key), output, re.MULTILINE)
        if m:
            broken.append(f"expect-none: {pattern}  matched {m.group(0)!r}")
    return broken
