"""Stacks in what a tracing program printed: a map key that holds stacks, and the frames in them.

A map keyed by a stack (`@[ustack] = count()`) prints its key on several lines, one frame a line,
innermost first (`@name[` or `@name[comm, ` opens it, `]: value` or `, more]: value` closes it);
`-f json` puts the same in one string with newlines (bpftrace 0.23 escapes them once more, as
`\\n`). A BCC program prints a stack a frame a line, indented, then its count (as stackcount does).
"""

from __future__ import annotations

import re

KEY_OPENS = re.compile(r"^(@[\w.]*)\[((?:[^\[\]]*,)?\s*)$")  # `@x[` or `@x[comm, ` at a line's end
KEY_CLOSES = re.compile(r"^((?:,[^\[\]]*)?)\]:\s*(.*?)\s*$")  # `]: 5` or `, comm]: 5`
MAX_FRAMES = 200  # bpftrace's stacks hold at most 127 frames


# A stack frame as bpftrace and BCC print it: a symbol with its offset (`open64+81`, BCC's
# `__libc_open64+0x51`), a bare address, or BCC's `[unknown]`; ustack(perf) adds the address first
# and the file after: `7f2a1c0e5a2f open64+81 (/usr/lib/x86_64-linux-gnu/libc.so.6)`.
_FRAME = re.compile(
    r"^(?:[0-9a-f]{6,}\s+)?(?:[A-Za-z_.$][\w.$@]*\+(?:0x[0-9a-f]+|\d+)|0x[0-9a-f]+|\[unknown\])(?:\s+\(.*\))?$"
)


def is_frame(text: str) -> bool:
    return _FRAME.match(text.strip()) is not None


def frame_function(frame: str) -> str:
    """The function a frame is in: its symbol without offset, address or file (a bare address as is)."""
    words = [w for w in frame.split() if not w.startswith("(")]
    word = words[-1] if words else frame.strip()
    return re.sub(r"\+(?:0x[0-9a-f]+|\d+)$", "", word)


def split_stack_key(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """A map key holding stacks, as printed between its brackets (the lines joined with newlines):
    its other parts, and its stacks. A stack starts at a line break after a part (or at the key's
    start) and ends at a line that starts with a comma (another part follows) or at the key's end."""
    if "\n" not in text and "\\n" in text:  # bpftrace 0.23's -f json: newlines escaped twice
        text = text.replace("\\n", "\n")
    lines = text.split("\n")
    parts: list[str] = []
    stacks: list[tuple[str, ...]] = []

    def add_parts(chunk: str) -> None:
        parts.extend(p.strip() for p in chunk.strip().strip(",").split(",") if p.strip())

    add_parts(lines[0])
    frames: list[str] | None = [] if len(lines) > 1 else None
    for line in lines[1:]:
        if line.lstrip().startswith(","):
            if frames is not None:  # an empty stack too: bpftrace 0.27 prints one it could not name
                stacks.append(tuple(frames))
            add_parts(line)
            frames = [] if line.rstrip().endswith(",") else None
        elif line.strip() and frames is not None:
            frames.append(line.strip())
        elif line.strip():
            add_parts(line)
    if frames is not None:
        stacks.append(tuple(frames))
    return tuple(parts), tuple(stacks)
