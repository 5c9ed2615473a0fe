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
KERNELS_INTRO = (
    "Each Debian release's own kernel, booted in a virtual machine (QEMU without hardware acceleration) with that"
    " release's toolchain as its root filesystem (`sudo ./dev matrix --kernel all`); the docs examples run there"
    " against the labs' workloads. Date, commit and times are the last whole run's (the guest's times: boot to"
    " the first command, `./dev setup`, the examples); an example re-run since (`-k`) says when, and at which"
    " commit."
)
CELL = {"passed": "passed", "failed": "**failed**", "skipped": "skipped", "not run": "not run"}


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def summary(toolchains: list[dict[str, Any]], reference: str) -> list[str]:
    head = [
        "Toolchain",
        "bpftrace",
        "BCC",
        "Python",
        "Kernel",
        "Architecture",
        "Date",
        "Tests passed",
        "failed",
        "skipped",
    ]
    lines = [_row(head), _row(["---"] * len(head))]
    for t in (t for t in toolchains if not t.get("vm")):
        release = "unstable" if t["suite"] == "sid" else t["debian"]
        name = f"Debian {release} ({t['suite']})" + (", reference" if t["name"] == reference else "")
        lines.append(
            _row(
                [
                    name,
                    t["bpftrace"],
                    t["bcc"],
                    t["python"],
                    f"`{t['kernel']}`",
                    t["arch"],
                    t["date"],
                    str(t["passed"]),
                    str(t["failed"]),
                    str(t["skipped"]),
                ]
            )
        )
    return lines


def kernel_rows(toolchains: list[dict[str, Any]]) -> list[str]:
    """The kernel matrix: the docs examples in a VM on each Debian release's own kernel."""
    head = [
        "Kernel",
        "Toolchain",
        "bpftrace",
        "BCC",
        "Date",
        "Examples passed",
        "failed",
        "skipped",
        "Boot",
        "Set-up",
        "Examples",
        "Deep dive's sources",
    ]
    lines = [_row(head), _row(["---"] * len(head))]
    for t in (t for t in toolchains if t.get("vm")):
        release = "unstable" if t["suite"] == "sid" else t["debian"]
        times = t.get("timings", {})
        lines.append(
            _row(
                [
                    f"`{t['kernel']}`",
                    f"Debian {release} ({t['suite']})",
                    t["bpftrace"],
                    t["bcc"],
                    f"{t['date']} (`{t['commit']}`)" if t.get("commit") else t["date"],
                    str(t["passed"]),
                    str(t["failed"]),
                    str(t["skipped"]),
                    *(f"{times[k]:.0f} s" if k in times else "?" for k in ("boot", "setup", "examples")),
                    _sources(t.get("sources", {})),
                ]
            )
        )
    return lines


def _sources(verdict: dict[str, Any]) -> str:
    """The deep dive's table against this kernel's source (devtools/kernel_sources.py)."""
    if "checked" not in verdict:
        return "not checked"
    wrong = verdict.get("wrong", [])
    text = f"{verdict['checked'] - len(wrong)} of {verdict['checked']}"
    return text + (f" (**wrong**: {'; '.join(wrong)})" if wrong else "")


def _cell(example: dict[str, Any] | None) -> str:
    if example is None:
        return "not in this run"
    text = CELL.get(example["outcome"], example["outcome"])
    if example["outcome"] == "skipped" and example["reason"]:
        text = f"{text}: {example['reason']}"
    return f"{text} (re-run {example['date']}, {example['commit']})" if "commit" in example else text


def _column(t: dict[str, Any]) -> str:
    name = f"Debian {t['debian'].split('.')[0]}" if t["suite"] != "sid" else "unstable"
    return f"{name}, Linux {t['vm']} (VM)" if t.get("vm") else f"{name}, Linux {'.'.join(t['kernel'].split('.')[:2])}"


def examples(toolchains: list[dict[str, Any]]) -> list[str]:
    """One row per example (page and snippet), one column per toolchain."""
    head = ["Page", "Example", *map(_column, toolchains)]
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
    lines += ["", "## Kernels", "", KERNELS_INTRO, ""]
    if any(t.get("vm") for t in toolchains):
        lines += kernel_rows(toolchains)
    else:
        lines.append("The kernel matrix has not run yet.")
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
