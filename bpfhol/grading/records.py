"""One fact a tracing program printed (`Record`), and the numbers in it as programs print them.

bpfhol.grading.parse makes records from an output; the exercises judge them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PARTS = re.compile(r"[=:,;()\[\]{}<>]+")
_SUFFIX = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_NUM = re.compile(r"^-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?)([KMGT]i?B?)?$")
MAP_LINE = re.compile(r"^(@[\w.]*)(?:\[(.*)\])?:\s*(.*?)\s*$")


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
