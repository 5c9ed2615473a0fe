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
from dataclasses import dataclass

from bpfhol.grading.records import MAP_LINE, Bucket, Record, number, split_keys
from bpfhol.grading.stackkeys import KEY_CLOSES, KEY_OPENS, MAX_FRAMES, is_frame, split_stack_key

MAX_LINES = 20000  # judge a flood on its last lines: maps print last

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
            m = KEY_OPENS.match(line.strip())
            if not m:
                return False
            self.key_lines = [line.strip()]
            return True
        self.key_lines.append(line)
        m = KEY_CLOSES.match(line.strip())
        if m:
            first, *rest = self.key_lines
            opened = KEY_OPENS.match(first)
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
        elif len(self.key_lines) > MAX_FRAMES:  # not a key after all: read its lines as lines
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
