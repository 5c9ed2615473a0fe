"""What a page shows of an output: no line wider than WIDTH columns, whatever the program printed.

A line wider than that is fitted when the output is captured, as its example says (`long-lines:`):

  wrap (the default)  the rest of the line goes on continuation lines, each starting with CONTINUED
                      (`↪`); a break falls before a space where one is near, so that joining the
                      pieces (`unwrap`) gives the line back exactly
  cut                 the line stops at WIDTH columns with CUT (`…`); the rest is left out (for a
                      long line that is not the lesson, such as a format file's `print fmt`)

The live output is judged as the program printed it; the shown one with its wrapped lines joined
again, so an expectation matches the same text in both, unless it needs what a cut left out.
"""

from __future__ import annotations

WIDTH = 100  # columns: what a phone shows with a little sideways scrolling, and a laptop in full
TAB = 8  # a browser's tab stops in a code block
CONTINUED = "↪"
CUT = "…"
MODES = ("wrap", "cut")
_NEAR = 30  # a space this close to the break point is where the line breaks


def columns(line: str) -> int:
    return len(line.expandtabs(TAB))


def _longest_head(prefix: str, text: str, room: int) -> int:
    """How many characters of `text` fit after `prefix` within `room` columns (at least one)."""
    n = len(text)
    while n > 1 and columns(prefix + text[:n]) > room:
        n -= 1
    return n


def _wrap(line: str) -> list[str]:
    pieces, prefix, rest = [], "", line
    while columns(prefix + rest) > WIDTH:
        n = _longest_head(prefix, rest, WIDTH)
        space = rest.rfind(" ", 1, n + 1)
        if space > 0 and n - space < _NEAR and rest[:space].strip():
            n = space  # the space starts the next piece: "↪ word"
        pieces.append(prefix + rest[:n])
        prefix, rest = CONTINUED, rest[n:]
    return [*pieces, prefix + rest]


def _cut(line: str) -> list[str]:
    if columns(line) <= WIDTH:
        return [line]
    return [line[: _longest_head("", line, WIDTH - columns(CUT))] + CUT]


def fit(output: str, mode: str = "wrap") -> str:
    """`output` with every line made to fit WIDTH columns, the way `mode` says."""
    fitter = _cut if mode == "cut" else _wrap
    return "".join("\n".join(fitter(line)) + end for line, end in _lines(output))


def unwrap(shown: str) -> str:
    """A shown output with its wrapped lines joined again (cut lines stay cut)."""
    joined: list[str] = []
    for line, end in _lines(shown):
        if line.startswith(CONTINUED) and joined:
            joined[-1] = joined[-1].removesuffix("\n") + line[len(CONTINUED) :] + end
        else:
            joined.append(line + end)
    return "".join(joined)


def too_wide(text: str) -> list[tuple[int, int]]:
    """(line number, columns) of each line wider than WIDTH."""
    return [(n, columns(line)) for n, (line, _) in enumerate(_lines(text), 1) if columns(line) > WIDTH]


def _lines(text: str) -> list[tuple[str, str]]:
    """Each line with its own ending ("" for a last line without one)."""
    parts = text.split("\n")
    return [(p, "\n") for p in parts[:-1]] + ([(parts[-1], "")] if parts[-1] else [])
