"""Facts pulled out of parsed output: which records are about a process, sizes, shares, descriptors.

Each helper reads records as a person would: a name anywhere in a row ties the row to that
process; numbers carry the label of the map, column or words beside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bpfhol.grading.parse import Output
from bpfhol.grading.records import Bucket, Record, number


def about(out: Output, comm: str) -> list[Record]:
    """Records that name `comm` (in a key, a cell, or a BCC section label)."""
    return [r for r in out.records if r.mentions(comm)]


# --- sizes ---------------------------------------------------------------------------------------


@dataclass
class Intervals:
    """Nonzero size buckets from one part of the output, in an unknown unit: [lo, hi) each."""

    where: str  # the map or table they came from, for feedback
    spans: list[tuple[float | None, float | None]]
    sizes: list[int] | None = None  # what they should show, when it is not the whole process name's


def hist_intervals(rec: Record) -> Intervals:
    spans = [(b.lo, b.hi) for b in rec.buckets if b.count > 0]
    return Intervals(rec.name, spans)  # its name, not its keys: feedback names no process


def point_intervals(where: str, values: list[float]) -> Intervals:
    return Intervals(where, [(v, v + 1) for v in sorted(set(values))])


UNITS = (("bytes", 1), ("KiB", 1024), ("pages", None))  # None: the page size


def match_sizes(iv: Intervals, sizes: list[int], page: int, allowed: list[int] | None = None) -> tuple[bool, str, str]:
    """Do the nonzero buckets say exactly these sizes (bytes)? -> (right, unit, what is wrong).

    Right when, in some unit, every size falls in a nonzero bucket, every nonzero bucket holds
    one of the sizes, and no bucket holds two of them (the histogram tells them apart). Sizes
    in `allowed` may show too (another process of the same name mapped them in the window).
    """
    best: tuple[int, str, str] | None = None
    ok_sizes = set(sizes) | set(allowed or ())
    for unit, factor in UNITS:
        f = page if factor is None else factor
        spans = [(None if lo is None else lo * f, None if hi is None else hi * f) for lo, hi in iv.spans]
        inside = [[s for s in sizes if (lo is None or s >= lo) and (hi is None or s < hi)] for lo, hi in spans]
        missing = [s for s in sizes if not any(s in group for group in inside)]
        extra = [spans[i] for i, g in enumerate(inside) if not g and not any(_in(s, spans[i]) for s in ok_sizes)]
        merged = [spans[i] for i, g in enumerate(inside) if len(g) > 1]
        problems = len(missing) + len(extra) + len(merged)
        if problems == 0:
            return True, unit, ""
        # What is wrong, in words: the sizes themselves are the answer.
        why = []
        if merged:
            why.append("a bucket holds several of the sizes: buckets too wide to tell them apart")
        if missing:
            why.append("sizes the process maps are missing")
        if extra:
            why.append("some buckets hold sizes it does not map")
        if best is None or problems < best[0]:
            best = (problems, unit, "; ".join(why))
    assert best is not None
    return False, best[1], best[2]


def _in(s: int, span: tuple[float | None, float | None]) -> bool:
    lo, hi = span
    return (lo is None or s >= lo) and (hi is None or s < hi)


def scale_off(values: list[float], sizes: list[int]) -> float | None:
    """If the values hold every size times one factor (a unit mix-up), that factor."""
    vs = sorted(set(values))
    if not vs or not sizes or vs[0] <= 0:
        return None
    for v in vs:
        ratio = v / min(sizes)
        if all(any(abs(w - s * ratio) <= 0.02 * s * ratio for w in vs) for s in sizes):
            return ratio
    return None


def is_power_of_two_hist(buckets: list[Bucket]) -> bool:
    """hist()'s buckets: each [2^k, 2^(k+1)). One bucket is enough to tell: sizes of 8 to 11
    pages all land in [32K, 64K)."""
    closed = [(b.lo, b.hi) for b in buckets if b.lo and b.hi]
    return bool(closed) and all(hi == 2 * lo and _power_of_two(lo) for lo, hi in closed)


def _power_of_two(x: float) -> bool:
    return x == int(x) and int(x) & (int(x) - 1) == 0


# --- shares (mmap-3) -----------------------------------------------------------------------------

_SHARED, _PRIVATE, _TOTAL = "shared", "private", "total"
_BOOLS = ("0", "1", "true", "false")
_PCT_WORDS = ("percent", "pct", "%", "ratio", "share_of", "fraction")


def classify(label: str) -> str | None:
    low = label.lower()
    s, p = "shar" in low, "priv" in low
    if s and not p:
        return _SHARED
    if p and not s:
        return _PRIVATE
    if not s and not p and any(w in low for w in ("mmap", "total", "calls", "count", "all", "maps")):
        return _TOTAL
    return None


def map_type(token: str) -> str | None:
    """A key that names a mapping type: shared/private words, or a flags value (& MAP_TYPE)."""
    low = token.lower()
    if "shar" in low and "priv" not in low:
        return _SHARED
    if "priv" in low and "shar" not in low:
        return _PRIVATE
    v = number(token)
    if v is None or v < 0 or v > 0xFFFFF or v != int(v):
        return None
    t = int(v) & 0x0F
    return _SHARED if t in (1, 3) else _PRIVATE if t == 2 else None


@dataclass
class Shares:
    shared_pct: list[float]
    private_pct: list[float]
    shared_n: float | None
    private_n: float | None
    total_n: float | None

    def empty(self) -> bool:
        return not (self.shared_pct or self.private_pct or self.shared_n is not None or self.private_n is not None)


def shares(records: list[Record], comm: str) -> Shares:
    sp: list[float] = []
    pp: list[float] = []
    counts = {_SHARED: 0.0, _PRIVATE: 0.0, _TOTAL: 0.0}
    seen = {_SHARED: False, _PRIVATE: False, _TOTAL: False}

    def put(kind: str | None, value: float, pct: bool) -> None:
        if kind is None:
            return
        if pct:
            if 0 < value <= 1 and kind != _TOTAL:  # a fraction
                value *= 100
            (sp if kind == _SHARED else pp if kind == _PRIVATE else []).append(value)
        else:
            counts[kind] += value
            seen[kind] = True

    for r in records:
        if r.source == "map":
            others = [k for k in r.keys if k.strip() != comm]
            value = number((r.value or "").split()[0]) if (r.value or "").split() else None
            if value is None:
                continue
            pct = any(w in r.name.lower() for w in _PCT_WORDS) or (r.value or "").strip().endswith("%")
            kind = classify(r.name)
            if kind in (_SHARED, _PRIVATE) and len(others) == 1 and others[0].lower() in _BOOLS and not pct:
                # @shared[comm, $t == 1]: the key says whether the call was of the map's kind
                # (1/0 on bpftrace 0.17, true/false from 0.2x).
                yes = others[0].lower() in ("1", "true")
                put(kind if yes else (_PRIVATE if kind == _SHARED else _SHARED), value, False)
                seen[_SHARED] = seen[_PRIVATE] = True
                continue
            typed = [t for t in (map_type(k) for k in others) if t]
            if kind is None and len(typed) == 1:
                kind = typed[0]
                if not pct:  # counts per type: a type never seen counted zero
                    seen[_SHARED] = seen[_PRIVATE] = True
            put(kind, value, pct)
        elif r.source in ("table", "line"):
            if r.header and len(r.header) == len(r.cells):
                for h, c in zip(r.header, r.cells):
                    v = number(c)
                    if v is not None:
                        put(classify(h), v, c.endswith("%") or any(w in h.lower() for w in _PCT_WORDS))
                continue
            for label, v, pct in line_labels(r.cells):
                put(classify(label), v, pct)
    return Shares(
        sp,
        pp,
        counts[_SHARED] if seen[_SHARED] else None,
        counts[_PRIVATE] if seen[_PRIVATE] else None,
        counts[_TOTAL] if seen[_TOTAL] else None,
    )


def line_labels(cells: tuple[str, ...]) -> list[tuple[str, float, bool]]:
    """Numbers of a free line with the word that names them: "75% shared" or "shared: 75%".

    Whichever comes first in the line, a name or a number, says which side names the numbers.
    """
    tokens = [t for c in cells for t in re.split(r"[=:,;()]+", c) if t]
    kinds = [("num" if number(t) is not None else "word" if classify(t) else "other") for t in tokens]
    first_word = next((i for i, k in enumerate(kinds) if k == "word"), None)
    first_num = next((i for i, k in enumerate(kinds) if k == "num"), None)
    if first_word is None or first_num is None:
        return []
    name_first = first_word < first_num
    out = []
    for i, t in enumerate(tokens):
        if kinds[i] != "num":
            continue
        rng = range(i - 1, -1, -1) if name_first else range(i + 1, len(tokens))
        label = next((tokens[j] for j in rng if kinds[j] == "word"), "")
        if not label:
            continue
        pct = t.endswith("%") or any(w in label.lower() for w in _PCT_WORDS)
        v = number(t)
        assert v is not None
        out.append((label, v, pct))
    return out


# --- descriptors (close-1) -----------------------------------------------------------------------


def pid_fd_rows(records: list[Record], pids: set[str]) -> list[tuple[str | None, int, float]]:
    """(pid shown, fd, count) for each row: the pid is a number equal to one of `pids`."""
    out: list[tuple[str | None, int, float]] = []
    for r in records:
        if r.source == "map":
            nums = [k.strip() for k in r.keys if number(k) is not None]
            count = r.count() or 1.0
        elif r.source in ("table", "line"):
            if r.header and len(r.header) == len(r.cells):
                cols = {h.lower(): c for h, c in zip(r.header, r.cells)}
                fd = next((c for h, c in cols.items() if h in ("fd", "desc", "descriptor", "fds")), None)
                pid = next((c for h, c in cols.items() if h in ("pid", "tgid")), None)
                if fd is not None and number(fd) is not None:
                    cnt = r.count()
                    out.append((pid, int(number(fd) or 0), cnt if cnt is not None and cnt != number(fd) else 1.0))
                    continue
            tokens = [t for c in r.cells for t in re.split(r"[=:,;()\[\]#]+", c) if t]
            nums = [t for t in tokens if number(t) is not None]
            count = 1.0
            rest = [n for n in nums if n not in pids]
            if len(rest) >= 2:
                count = number(rest[-1]) or 1.0
                nums = [n for n in nums if n in pids] + rest[:1]
        else:
            continue
        pid = next((n for n in nums if n in pids), None)
        fds = [n for n in nums if n not in pids]
        if r.source == "map" and pid is None and len(fds) >= 2:
            pid, fds = fds[0], fds[1:]  # [pid, fd] of a process not watched
        for fd in fds[:1]:
            v = number(fd)
            if v is not None:
                out.append((pid, int(v), count))
    return out
