"""The deep dive's cost chart, drawn as SVG from benchmarks/syscall_overhead.py's data file.

Two panels, one row per bpftrace program: what one run of the BPF program cost (the kernel's
bpf_stats) and what the traced loop lost per getppid() call (traced minus untraced).  A bar is
the median over the benchmark's rounds, the whisker their range.  Colours follow
devtools/figures.py: they read on the light and the dark palette alike.
"""

from __future__ import annotations

import json
import statistics
from html import escape
from pathlib import Path
from typing import Any

WIDTH = 520
LEFT = 12  # left margin of labels and bars
BAR_MAX = 280  # px of the longest whisker
ROW = 46  # label line + bar
FONT = 13
GREY = "#7b8088"
BAR_FILL = ("#a9c8ee", "#f6c89a")  # one colour per panel
INK = "#111111"

PANELS = (
    ("program_run_ns", "One run of the BPF program (bpf_stats), ns"),
    ("traced_minus_untraced_ns", "What a getppid() call lost, traced − untraced, ns"),
)


def _nice_max(value: float) -> float:
    """An axis end at or above `value`: 1, 2 or 5 times a power of ten."""
    scale = 1.0
    while scale * 10 <= value:
        scale *= 10
    for step in (1, 2, 5, 10):
        if step * scale >= value:
            return step * scale
    return 10 * scale


def _text(x: float, y: float, s: str, *, size: int = FONT, fill: str = GREY, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}">{escape(s)}</text>'


def panel(configs: list[dict[str, Any]], key: str, title: str, top: float, fill: str) -> tuple[list[str], float]:
    """SVG elements of one panel starting at y=`top`, and the y where it ends."""
    rows = [(c["label"], c[key], c.get("runs_per_call") or [0.0]) for c in configs]
    highest = max((max(v) for _, v, _ in rows if v), default=1.0)
    top_value = _nice_max(max(highest, 1.0))
    scale = BAR_MAX / top_value
    out = [_text(LEFT, top + 16, title, size=14)]
    y = top + 30
    for label, values, runs in rows:
        out.append(_text(LEFT, y + 13, label))
        bar_y = y + 19
        if not values:
            out.append(_text(LEFT, bar_y + 13, "no runs of the program (another call's event)", size=12))
        else:
            mid, lo, hi = statistics.median(values), min(values), max(values)
            w = max(mid, 0.0) * scale
            out.append(
                f'<rect x="{LEFT}" y="{bar_y:.1f}" width="{w:.1f}" height="18" rx="3" fill="{fill}"'
                f' stroke="{GREY}" stroke-width="1"/>'
            )
            x_lo, x_hi = LEFT + max(lo, 0.0) * scale, LEFT + max(hi, 0.0) * scale
            cy = bar_y + 9
            out.append(
                f'<path d="M{x_lo:.1f},{cy:.1f}H{x_hi:.1f}M{x_lo:.1f},{cy - 6:.1f}V{cy + 6:.1f}'
                f'M{x_hi:.1f},{cy - 6:.1f}V{cy + 6:.1f}" stroke="{GREY}" stroke-width="1.5" fill="none"/>'
            )
            figure = f"{mid:.0f}  ({lo:.0f}–{hi:.0f})"
            if key == "program_run_ns":  # how often it ran says whose calls those runs were
                figure += f", {statistics.median(runs):.2f} runs/call"
            out.append(_text(x_hi + 6, bar_y + 14, figure, size=12))
        y += ROW
    # The axis: 0 and its end, under the bars.
    out.append(f'<path d="M{LEFT},{y + 4:.1f}H{LEFT + BAR_MAX}" stroke="{GREY}" stroke-width="1"/>')
    for value in (0.0, top_value / 2, top_value):
        x = LEFT + value * scale
        out.append(f'<path d="M{x:.1f},{y + 4:.1f}V{y + 9:.1f}" stroke="{GREY}" stroke-width="1"/>')
        out.append(_text(x, y + 22, f"{value:.0f} ns", size=12, anchor="middle"))
    return out, y + 30


def render(data_file: Path) -> str:
    data = json.loads(data_file.read_text(encoding="utf-8"))
    configs = data["configs"]
    if not configs:
        raise ValueError(f"{data_file}: no configurations measured")
    m = data["machine"]
    body: list[str] = []
    y = 0.0
    for (key, title), fill in zip(PANELS, BAR_FILL):
        elements, y = panel(configs, key, title, y, fill)
        body += elements
        y += 8
    untraced = statistics.median(data["untraced_ns"])
    notes = (
        f"Linux {m['kernel']} {m['arch']}, {m['cpus']} CPUs, {m['bpftrace']}, {m['date']}",
        f"bars: median of {data['rounds']} rounds; whiskers: their range",
        f"untraced: {untraced:.0f} ns per getppid() call (median)",
    )
    for note in notes:
        body.append(_text(LEFT, y + 6, note, size=12))
        y += 18
    height = y
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<svg width="{WIDTH}" height="{height:.0f}" viewBox="0 0 {WIDTH} {height:.0f}"'
        ' xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans,Verdana,Bitstream Vera Sans,sans-serif">\n'
        f"<title>What tracing a system call cost, per bpftrace program</title>\n" + "\n".join(body) + "\n</svg>\n"
    )
