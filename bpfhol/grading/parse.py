"""What a tracing program printed, as records the exercises can judge whatever the spelling.

A learner's output comes in many shapes: bpftrace maps (`@name[k1, k2]: value`), bpftrace
histograms (`@name[key]:` then `[4K, 8K)   150 |@@@|` rows), bpftrace's `-f json` lines, BCC
tables (a header row of column names, then rows), BCC's `print_linear_hist` and
`print_log2_hist` sections (`comm = mapit`, then `  1  : 100  |***|` rows), or free
printf lines. Each becomes a `Record`: where it came from (a map's name, or a table's
column names), its key parts, its value, or its histogram buckets.

A map keyed by a stack (`@[ustack] = count()`) prints its key on several lines, one frame a line,
innermost first; `-f json` puts the same in one string with newlines (bpftrace 0.23 escapes them
once more, as `\\n`). Such a key's stacks go to `Record.stacks`, its other parts to `keys`. A BCC
program that prints a stack prints its frames indented, one a line, then its count on a line of
its own (as BCC's stackcount does): that is a record with a stack too.

A map printed more than once (periodic printing with `interval`) keeps its last printing:
a record with the same map name and keys replaces the earlier one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

MAX_LINES = 20000  # judge a flood on its last lines: maps print last

_PARTS = re.compile(r"[=:,;()\[\]{}<>]+")
_SUFFIX = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_NUM = re.compile(r"^-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?)([KMGT]i?B?)?$")
MAP_LINE = re.compile(r"^(@[\w.]*)(?:\[(.*)\])?:\s*(.*?)\s*$")
_HIST_ROW = re.compile(r"^[\[(]\s*(-?[\w.]+|\.\.\.)\s*,\s*(-?[\w.]+|\.\.\.)\s*[\])]\s+(\d+)\s*\|")
_HIST_POINT = re.compile(r"^\[\s*(-?[\w.]+)\s*\]\s+(\d+)\s*\|")  # one value: [4] (bpftrace 0.27's lhist, hist's [0])
_BCC_LINEAR_ROW = re.compile(r"^\s*(-?\d+)\s*:\s*(\d+)\s*\|")
_BCC_LOG2_ROW = re.compile(r"^\s*(\d+)\s*->\s*(\d+)\s*:\s*(\d+)\s*\|")
_BCC_SECTION = re.compile(r"^\s*(\w[\w.-]*) = ([^=]*?)\s*$")  # print_*_hist's "comm = mapit"
_BCC_HIST_HEADER = re.compile(r"^\s*(.*?)\s*:\s*count\s+distribution\s*$")
_NOISE = (
    re.compile(r"^Attaching \d+ probes?\.\.\.$"),
    re.compile(r"^Tracing .*(Ctrl-C|Ctrl\+C).*$", re.I),
)


def number(text: str) -> float | None:
    """A number as programs print it: 42, -9, 0x410002, 75%, 2.5, 8K (bpftrace's 1024s), 8KiB."""
    t = text.strip().rstrip(",;")
    if t.endswith("%"):
        t = t[:-1]
    m = _NUM.match(t)
    if not m:
        return None
    suffix = (m.group(1) or "")[:1].upper()
    body = t[: len(t) - len(m.group(1) or "")]
    try:
        value = float(int(body, 16)) if body.lower().startswith(("0x", "-0x")) else float(body)
    except ValueError:
        return None
    return value * _SUFFIX[suffix]


@dataclass
class Bucket:
    lo: float | None  # None: open-ended below
    hi: float | None  # None: open-ended above
    count: int


@dataclass
class Record:
    """One fact the program printed."""

    source: str  # "map", "hist", "table", "line"
    name: str = ""  # map name, or the histogram's unit label (BCC), or "" for a free line
    keys: tuple[str, ...] = ()  # map key parts / histogram section labels
    value: str | None = None  # a map's value, as printed
    cells: tuple[str, ...] = ()  # table row / free line: whitespace-separated fields
    header: tuple[str, ...] = ()  # table: the column names above this row
    buckets: list[Bucket] = field(default_factory=list)
    line: str = ""  # the line as printed (the header line for a histogram)
    stacks: tuple[tuple[str, ...], ...] = ()  # stacks in the key, each its frames innermost first (maybe none)

    def text(self) -> str:
        """Everything this record says, for matching names in it."""
        return " ".join([self.name, *self.keys, self.value or "", *self.cells, *self.header])

    def words(self) -> list[str]:
        """Key parts and cells: the labels a record can carry."""
        return [*self.keys, *self.cells]

    def mentions(self, word: str, as_path: bool = False) -> bool:
        """Is `word` one of the record's labels? Also inside `comm=mapit` or `mapit:`; with `as_path`,
        also as the last part of a path (a file name printed with its directory)."""
        return any(_same_word(t, word, as_path) for w in self.words() for t in (w, *_PARTS.split(w)) if t)

    def count(self) -> float | None:
        """The record's count: a map's value, else a table's count column, else its last number."""
        if self.value is not None:
            return number(self.value.split()[0]) if self.value.split() else None
        if self.source in ("table", "line"):
            nums = [(i, number(c)) for i, c in enumerate(self.cells)]
            nums = [(i, v) for i, v in nums if v is not None]
            if self.header and len(self.header) == len(self.cells):
                named = [(i, v) for i, v in nums if _is_count_column(self.header[i])]
                if named:
                    return named[0][1]
                nums = [(i, v) for i, v in nums if not _is_id_column(self.header[i])]
            return nums[-1][1] if nums else None
        return None

    def labelled_numbers(self) -> list[tuple[str, float, bool]]:
        """(label, number, printed as a percentage) for every number this record carries.

        The label of a map's value is the map's name; of a table cell, its column name; of a
        number in a free line, the words around it.
        """
        out: list[tuple[str, float, bool]] = []
        if self.value is not None:
            v = number(self.value.split()[0]) if self.value.split() else None
            if v is not None:
                out.append((self.name + " " + " ".join(self.keys), v, self.value.strip().endswith("%")))
            return out
        for i, c in enumerate(self.cells):
            v = number(c)
            if v is None:
                continue
            if self.header and len(self.header) == len(self.cells):
                label = self.header[i]
            else:
                before = " ".join(w for w in self.cells[max(0, i - 2) : i] if number(w) is None)
                after = self.cells[i + 1] if i + 1 < len(self.cells) and number(self.cells[i + 1]) is None else ""
                label = f"{before} {after}".strip()
            out.append((label, v, c.rstrip(",;").endswith("%")))
        return out


def _same_word(token: str, word: str, as_path: bool = False) -> bool:
    t = token.strip().strip("\"',;:()")
    return t == word or (as_path and t.endswith("/" + word))


def _is_count_column(name: str) -> bool:
    n = name.lower()
    return any(w in n for w in ("count", "calls", "mmaps", "opens", "closes", "times", "hits", "events")) or n in (
        "n",
        "#",
        "total",
        "num",
    )


def _is_id_column(name: str) -> bool:
    return name.lower() in ("pid", "tid", "tgid", "fd", "uid", "ppid", "cpu", "id", "nr")


def split_keys(text: str) -> tuple[str, ...]:
    """`a, b, c` into parts; bpftrace prints multi-part keys with ", " between them."""
    if text == "":
        return ()
    return tuple(p.strip() for p in text.split(", "))


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


def _bound(text: str) -> float | None:
    return None if text == "..." else number(text)


def _json_records(obj: dict) -> list[Record]:
    """bpftrace -f json: map, hist and printf objects (0.17 to 0.27 spell maps slightly differently)."""
    kind, data = obj.get("type"), obj.get("data")
    out: list[Record] = []
    if kind in ("printf", "time", "print") and isinstance(data, str):
        return parse(data).records
    if kind not in ("map", "hist", "lhist", "stats") or not isinstance(data, dict):
        return out
    for name, content in data.items():
        if not isinstance(content, dict):  # an unkeyed map: {"@x": 5}
            if isinstance(content, list):
                out.append(Record("hist", name, (), buckets=_json_buckets(content), line=json.dumps(obj)))
            else:
                out.append(Record("map", name, (), value=str(content), line=f"{name}: {content}"))
            continue
        out += _json_entries(name, (), content)
    return out


def _json_entries(name: str, prefix: tuple[str, ...], content: dict) -> list[Record]:
    """Entries of a JSON map; a multi-part key is "a,b" (0.17) or nested objects (some later versions)."""
    out: list[Record] = []
    for key, value in content.items():
        stacks: tuple[tuple[str, ...], ...] = ()
        if "\n" in str(key) or "\\n" in str(key):
            parts, stacks = split_stack_key(str(key))
            keys = prefix + parts
        else:
            keys = prefix + tuple(p.strip() for p in str(key).split(","))
        line = f"{name}[{', '.join(keys)}]"
        if stacks:
            out.append(Record("map", name, keys, value=str(value), line=f"{line}: {value}", stacks=stacks))
        elif isinstance(value, list):
            out.append(Record("hist", name, keys, buckets=_json_buckets(value), line=line))
        elif isinstance(value, dict) and ("count" in value or "average" in value or "value" in value):
            v = value.get("count", value.get("value"))  # stats(): {"count":..,"average":..,"total":..}
            out.append(Record("map", name, keys, value=str(v), line=f"{line}: {value}"))
        elif isinstance(value, dict):
            out += _json_entries(name, keys, value)
        else:
            out.append(Record("map", name, keys, value=str(value), line=f"{line}: {value}"))
    return out


def _json_buckets(rows: list) -> list[Bucket]:
    out = []
    for r in rows:
        if isinstance(r, dict):
            lo, hi = r.get("min"), r.get("max")
            out.append(
                Bucket(None if lo is None else float(lo), None if hi is None else float(hi) + 1, int(r.get("count", 0)))
            )
    return out


@dataclass
class Output:
    records: list[Record]
    lines: int  # lines printed
    truncated: bool = False  # a flood: only the last MAX_LINES were judged

    def maps(self) -> list[Record]:
        return [r for r in self.records if r.source == "map"]

    def hists(self) -> list[Record]:
        return [r for r in self.records if r.source == "hist"]

    def rows(self) -> list[Record]:
        return [r for r in self.records if r.source in ("map", "table", "line")]


def parse(text: str) -> Output:
    lines = text.splitlines()
    total = len(lines)
    truncated = total > MAX_LINES
    p = _Parser()
    for raw in lines[-MAX_LINES:] if truncated else lines:
        p.feed(raw.rstrip())
    return Output(p.records, total, truncated)


class _Parser:
    """Reads an output line by line: each line is JSON, noise, a histogram's row, a map's line, a
    BCC section's title, a table's header, or a row of words."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.by_key: dict[tuple[str, str, tuple[str, ...], tuple[tuple[str, ...], ...]], int] = {}
        self.hist: Record | None = None  # the histogram whose rows follow
        self.bcc_section: tuple[str, ...] = ()
        self.header: tuple[str, ...] = ()
        self.key_lines: list[str] | None = None  # a map key printed on several lines (a stack), so far
        self.frames: list[str] = []  # a BCC program's stack, printed a frame a line, so far

    def add(self, rec: Record) -> None:
        if rec.source in ("map", "hist"):
            k = (rec.source, rec.name, rec.keys, rec.stacks)
            if k in self.by_key:  # printed again (interval): the later printing wins
                self.records[self.by_key[k]] = rec
                return
            self.by_key[k] = len(self.records)
        self.records.append(rec)

    def feed(self, line: str) -> None:
        if self._stack_key(line) or self._bcc_frames(line):
            return
        s = line.strip()
        if not s:
            if self.hist is not None and self.hist.buckets:
                self.hist = None
            self.header = ()
            return
        if self._json(s) or any(p.match(s) for p in _NOISE):
            return
        if self.hist is not None and self._hist_row(s, line, self.hist):
            return
        m = _BCC_HIST_HEADER.match(line)
        if m:
            self.hist = Record("hist", m.group(1).strip(), self.bcc_section, line=line)
            self.add(self.hist)
        elif not self._map_line(s):
            self._words(s, line)

    def _stack_key(self, line: str) -> bool:
        """A map key over several lines: `@name[` (or `@name[comm, `), frames, then `]: value` (or
        `, more]: value`). The record is made when the value comes."""
        if self.key_lines is None:
            m = _KEY_OPENS.match(line.strip())
            if not m:
                return False
            self.key_lines = [line.strip()]
            return True
        self.key_lines.append(line)
        m = _KEY_CLOSES.match(line.strip())
        if m:
            first, *rest = self.key_lines
            opened = _KEY_OPENS.match(first)
            assert opened is not None
            body = "\n".join([opened.group(2), *rest[:-1], m.group(1)])
            name, value = opened.group(1), m.group(2)
            parts, stacks = split_stack_key(body)
            self.key_lines = None
            self.hist = None
            shown = f"{name}[{', '.join(parts)}]"
            if value == "":
                self.hist = Record("hist", name, parts, line=shown, stacks=stacks)
                self.add(self.hist)
            else:
                self.add(Record("map", name, parts, value=value, line=f"{shown}: {value}", stacks=stacks))
        elif len(self.key_lines) > _MAX_FRAMES:  # not a key after all: read its lines as lines
            pending, self.key_lines = self.key_lines, None
            for old in pending:
                self._words(old.strip(), old) if old.strip() else None
        return True

    def _bcc_frames(self, line: str) -> bool:
        """A stack printed a frame a line (indented), then a line with its count (BCC's stackcount)."""
        s = line.strip()
        if s and line[:1].isspace() and is_frame(s):
            self.frames.append(s)
            return True
        if not self.frames:
            return False
        frames, self.frames = tuple(self.frames), []
        cells = tuple(s.split())
        if cells and any(number(c) is not None for c in cells) and not MAP_LINE.match(s):
            count = [c for c in cells if number(c) is not None][-1]
            others = tuple(c for c in cells if c is not count)
            self.add(Record("map", "", others, value=count, line=s, stacks=(frames,)))
            return True
        for f in frames:  # frames with no count after them: plain lines
            self._words(f, f)
        return False

    def _json(self, s: str) -> bool:
        """bpftrace -f json: one object a line."""
        if not (s.startswith("{") and s.endswith("}")):
            return False
        try:
            obj = json.loads(s)
        except ValueError:
            return False
        if not isinstance(obj, dict):
            return False
        for rec in _json_records(obj):
            self.add(rec)
        return True

    def _hist_row(self, s: str, line: str, hist: Record) -> bool:
        """A row of the histogram being read: bpftrace's [lo, hi) or [n], BCC's log2 or linear."""
        m = _HIST_ROW.match(s)
        if m:
            hist.buckets.append(Bucket(_bound(m.group(1)), _bound(m.group(2)), int(m.group(3))))
            return True
        m = _HIST_POINT.match(s)
        if m and (lo := _bound(m.group(1))) is not None:
            hist.buckets.append(Bucket(lo, lo + 1, int(m.group(2))))
            return True
        m = _BCC_LOG2_ROW.match(line)
        if m:
            hist.buckets.append(Bucket(float(m.group(1)), float(m.group(2)) + 1, int(m.group(3))))
            return True
        m = _BCC_LINEAR_ROW.match(line)
        if m and hist.source == "hist" and not hist.name.startswith("@"):
            v = float(m.group(1))
            hist.buckets.append(Bucket(v, v + 1, int(m.group(2))))
            return True
        return False

    def _map_line(self, s: str) -> bool:
        """`@name[keys]: value`, or a histogram's header (`@name[keys]:`, its rows follow)."""
        m = MAP_LINE.match(s)
        if not m:
            return False
        name, keys, value = m.group(1), split_keys(m.group(2) or ""), m.group(3)
        self.hist = None
        if value == "":
            self.hist = Record("hist", name, keys, line=s)
            self.add(self.hist)
        else:
            self.add(Record("map", name, keys, value=value, line=s))
        return True

    def _words(self, s: str, line: str) -> None:
        """A BCC section title, a table's header, or a row (of a table, or a line of prose)."""
        m = _BCC_SECTION.match(line)
        self.hist = None
        if m and (not _is_table_like(s) or m.group(1).lower() in _SECTION_KEYS):
            self.bcc_section = (m.group(2),)
            return
        cells = tuple(s.split())
        if _looks_like_header(cells):
            self.header = cells
            return
        header = self.header if len(self.header) == len(cells) else ()
        self.add(Record("table" if self.header else "line", "", (), cells=cells, header=header, line=s))


_KEY_OPENS = re.compile(r"^(@[\w.]*)\[((?:[^\[\]]*,)?\s*)$")  # `@x[` or `@x[comm, ` at a line's end
_KEY_CLOSES = re.compile(r"^((?:,[^\[\]]*)?)\]:\s*(.*?)\s*$")  # `]: 5` or `, comm]: 5`
_MAX_FRAMES = 200  # bpftrace's stacks hold at most 127 frames

# A section keyed by a process or thread name may hold spaces: Python 3.14 names its threads
# "Thread-1 (run)" in the kernel too, so `comm = Thread-1 (run` is one section title, not a row.
_SECTION_KEYS = frozenset({"comm", "task", "thread", "process", "name"})


def _is_table_like(s: str) -> bool:
    return len(s.split()) > 3


def _looks_like_header(cells: tuple[str, ...]) -> bool:
    """A row of column names: every cell a word without digits, mostly upper case (COMM, PID, COUNT)."""
    if len(cells) < 2:
        return False
    if any(number(c) is not None or any(ch.isdigit() for ch in c) for c in cells):
        return False
    upper = sum(1 for c in cells if c.upper() == c and any(ch.isalpha() for ch in c))
    return upper >= max(2, len(cells) - 1)
