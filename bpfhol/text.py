"""Terminal text the commands print: wrapped to fit 100 columns, as a shown output must."""

from __future__ import annotations

import textwrap

WIDTH = 100


def wrap(first: str, text: str, indent: int) -> list[str]:
    """`first` then `text`, wrapped at WIDTH, continuation lines indented by `indent`.

    Long words (paths, commands) are not broken: a line may pass WIDTH only to hold one whole.
    """
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]
