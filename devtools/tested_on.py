"""MkDocs hook: the *Tested on* page's tables, made from the committed matrix result.

mkdocs.yml names this file under `hooks:`.  In docs/tested-on.md the line
`<!-- tested-on -->` becomes the tables; the data is docs/tested-on.json, written by
`sudo ./dev matrix` (devtools/matrix.py).  `python -m devtools.tested_on` prints them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PAGE = "tested-on.md"
MARK = "<!-- tested-on -->"
RESULT = Path(__file__).resolve().parent.parent / "docs" / "tested-on.json"
CELL = {"passed": "passed", "failed": "**failed**", "skipped": "skipped", "not run": "not run"}


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def summary(toolchains: list[dict[str, Any]], reference: str) -> list[str]:
    head = ["Toolchain", "bpftrace", "BCC", "Python", "Kernel", "Architecture", "Date", "Tests passed",
            "failed", "skipped"]
    lines = [_row(head), _row(["---"] * len(head))]
    for t in toolchains:
        release = "unstable" if t["suite"] == "sid" else t["debian"]
        name = f"Debian {release} ({t['suite']})" + (", reference" if t["name"] == reference else "")
        lines.append(_row([name, t["bpftrace"], t["bcc"], t["python"], f"`{t['kernel']}`", t["arch"], t["date"],
                           str(t["passed"]), str(t["failed"]), str(t["skipped"])]))
    return lines


def _cell(example: dict[str, Any] | None) -> str:
    if example is None:
        return "not in this run"
    text = CELL.get(example["outcome"], example["outcome"])
    return f"{text}: {example['reason']}" if example["outcome"] == "skipped" and example["reason"] else text


def examples(toolchains: list[dict[str, Any]]) -> list[str]:
    """One row per example (page and snippet), one column per toolchain."""
    head = ["Page", "Example", *(f"Debian {t['debian'].split('.')[0]}" if t["suite"] != "sid" else "unstable"
                                 for t in toolchains)]
    lines = [_row(head), _row(["---"] * len(head))]
    by_tc = [{(e["page"], e["line"]): e for e in t["examples"]} for t in toolchains]
    order = dict.fromkeys((e["page"], e["line"], e["snippet"]) for t in toolchains for e in t["examples"])
    for page, line, snippet in order:
        link = page.removeprefix("docs/")
        shown = ", ".join(f"`{s.removeprefix('snippets/')}`" for s in snippet.split(", "))
        lines.append(_row([f"[{link}:{line}]({link})", shown, *(_cell(m.get((page, line))) for m in by_tc)]))
    return lines


def render(result: dict[str, Any]) -> str:
    toolchains = result["toolchains"]
    lines = ["## Toolchains", "", *summary(toolchains, result.get("reference", ""))]
    lines += ["", "## Every example", "", *examples(toolchains)]
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri != PAGE:
        return markdown
    result = json.loads((Path(config["docs_dir"]) / "tested-on.json").read_text())
    return markdown.replace(MARK, render(result))


if __name__ == "__main__":
    print(render(json.loads(RESULT.read_text())))
    sys.exit(0)
