"""Exercises: mmap, going further. Which sizes the busiest process maps private, and which shared.

Its own module beside mmap.py (the same family, page and reference), so each stays small.
"""

from __future__ import annotations

from bpfhol.grading import facts
from bpfhol.grading.evidence import Evidence
from bpfhol.grading.exercises.mmap import _BUSIEST, MMAP, _traces_mmap
from bpfhol.grading.records import Record, number
from bpfhol.grading.verdict import Verdict

_SIZE_WORDS = ("len", "size", "byte", "length")
_TYPE_WORDS = ("type", "flag", "kind", "share")


def _size_of(token: str, page: int) -> int | None:
    """A mapping length in bytes (4096, 8K, 8KiB): a whole number of pages, never a type or a count."""
    v = number(token)
    return int(v) if v is not None and v >= page and v == int(v) and int(v) % page == 0 else None


def _typed_sizes(records: list[Record], pids: set[str], page: int) -> list[tuple[int, str]]:
    """(length, "shared" or "private") for every row that shows a length with its mapping type."""
    out: list[tuple[int, str]] = []
    for r in records:
        if (r.count() or 0) <= 0 and r.source == "map":
            continue
        if r.source == "map":
            keys = [k.strip() for k in r.keys if k.strip() not in pids]
            sizes = [s for s in (_size_of(k, page) for k in keys) if s is not None]
            types = [t for t in (facts.map_type(k) for k in keys if _size_of(k, page) is None) if t]
            kind = facts.classify(r.name)
            types = types or ([kind] if kind in ("shared", "private") else [])
        elif r.source in ("table", "line"):
            cols = list(zip(r.header, r.cells)) if r.header and len(r.header) == len(r.cells) else []
            sized = [c for h, c in cols if any(w in h.lower() for w in _SIZE_WORDS)] or list(r.cells)
            sizes = [s for s in (_size_of(c, page) for c in sized) if s is not None][:1]
            typed = [c for h, c in cols if any(w in h.lower() for w in _TYPE_WORDS)]
            words = [c for c in r.cells if number(c) is None]
            types = [t for t in (facts.map_type(c) for c in [*typed, *words]) if t][:1]
        else:
            continue
        if len(sizes) == 1 and len(types) == 1:
            out.append((sizes[0], types[0]))
    return out


@MMAP.exercise(
    id="mmap-4",
    section="4. Going further: which sizes are private?",
    question="Which sizes does that process map private (MAP_PRIVATE), and which shared?",
)
def sizes_by_type(ev: Evidence, v: Verdict) -> None:
    comm = ev.key["mmap"]["comm"]
    page = int(ev.key["page_size"])
    if not _traces_mmap(ev, v):
        return
    pairs = _typed_sizes(ev.records_of(comm), ev.pids_of(comm), page)
    if not pairs:
        v.add(
            "sizes by type",
            False,
            f"found no size shown with its mapping type for {_BUSIEST}: count its calls in one map "
            "keyed by comm, args->len (in bytes) and flags & MAP_TYPE (0x0f), so that each length "
            "shows beside the type it was mapped with",
        )
        return
    want = {"private": set(ev.key["mmap"]["private_sizes_bytes"]), "shared": set(ev.key["mmap"]["shared_sizes_bytes"])}
    got: dict[str, set[int]] = {"private": set(), "shared": set()}
    for size, kind in pairs:
        got[kind].add(size)
    if got == want:
        kib = {k: ", ".join(str(s // 1024) for s in sorted(want[k])) for k in want}
        if want["private"] == want["shared"]:
            said = f"{comm} maps every one of its sizes ({kib['shared']} KiB) both private and shared"
        else:
            said = f"{comm} maps {kib['private']} KiB private and {kib['shared']} KiB shared"
        v.add("sizes by type", True, f"{said}: your output shows exactly that")
        return
    if want["private"] != want["shared"] and got == {"private": want["shared"], "shared": want["private"]}:
        why = (
            "inverted: the sizes you call private are the shared ones and the reverse: MAP_SHARED "
            "is 0x01, MAP_PRIVATE 0x02, and flags & MAP_TYPE (0x0f) says which a call asked for"
        )
    elif not got["private"] or not got["shared"]:
        missing = "private" if not got["private"] else "shared"
        why = (
            f"your output shows no {missing} mapping: that process maps both kinds, so count every "
            "call, whatever its type, keyed by its type as well as its length"
        )
    else:
        why = (
            "count every call of that process over the whole window, keyed by args->len (in bytes) "
            "and by flags & MAP_TYPE (0x0f), and read the sizes of each type off the keys"
        )
    v.add("sizes by type", False, f"your output's sizes by type are not those {_BUSIEST} used: {why}")
