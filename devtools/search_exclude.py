"""MkDocs hook: collapsed hints, nudges and solutions stay out of the site search.

Material's search plugin leaves out any element carrying `data-search-exclude`
(material/plugins/search/plugin.py, `Parser.handle_starttag`). pymdownx.details writes
`??? tip` / `??? question` / `??? success` blocks as `<details class="tip">` and so on, with
no way to give them an attribute in the Markdown: this hook adds it to the HTML, before the
search plugin indexes the page. Otherwise a search for `lhist` previews a whole solution.
"""

from __future__ import annotations

import re
from typing import Any

# The kinds of collapsed block that hold answers or steps towards them.
HIDDEN_KINDS = ("tip", "question", "success")
_DETAILS = re.compile(r"<details(?P<attrs>\s[^>]*)?>")


def _exclude(m: re.Match[str]) -> str:
    attrs = m["attrs"] or ""
    classes = re.search(r'class="([^"]*)"', attrs)
    if classes is None or not set(classes[1].split()) & set(HIDDEN_KINDS) or "data-search-exclude" in attrs:
        return m[0]
    return f"<details{attrs} data-search-exclude>"


def exclude_hidden_blocks(html: str) -> str:
    return _DETAILS.sub(_exclude, html)


def on_page_content(html: str, **kwargs: Any) -> str:
    return exclude_hidden_blocks(html)
