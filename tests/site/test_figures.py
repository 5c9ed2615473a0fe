"""The course's figures: rendered from their sources, true to the deep dive, on the pages, and legible.

The first tests read the repository (no renderer, no browser); `test_dot_renders_as_committed`
needs Graphviz; the browser tests open every page that has a figure in both palettes at a
phone's and a laptop's width and save a screenshot of each figure (BPFHOL_SCREENSHOTS names the
directory; by default pytest's temporary one).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from devtools import figures, overhead_chart
from tests.site.builtsite import ROOT, Page, Site, skip_or_fail
from tests.site.htmltree import Element

DEEP_DIVE = ROOT / "docs" / "syscalls" / "deep-dive.md"
MIN_FIGURES, MIN_PAGES = 14, 10
# Alt text that names a kind of picture instead of saying what it shows.
VACUOUS_ALT = re.compile(r"^\s*(a |the )?(diagram|figure|image|picture|chart|graph)\b", re.I)
KERNEL_PATH = re.compile(r"\b(?:arch|kernel|include|mm)/[\w./-]+\.[chS]\b")
FUNCTION = re.compile(r"\b([a-z_][a-z0-9_]*)\(\)")
# A source with this comment names kernel functions only from the deep dive's table.
TABLE_ONLY = "the deep dive's table"


def deep_dive_table(text: str | None = None) -> dict[str, list[str]]:
    """The deep dive's kernel-sources table: name (without `()`) -> its file per kernel column."""
    lines = (text if text is not None else DEEP_DIVE.read_text(encoding="utf-8")).splitlines()
    start = lines.index("<!-- kernel-sources -->") + 1
    rows: dict[str, list[str]] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
        rows[cells[0].removesuffix("()")] = cells[1:]
    return rows


def test_deep_dive_table_is_read() -> None:
    table = deep_dive_table()
    assert table["syscall_trace_enter"][2] == "kernel/entry/syscall-common.c"
    assert len(table) > 20


def _label_blocks(source: str) -> list[str]:
    """Each node's or edge's label text (what one shape says), from a .dot source."""
    plain = re.findall(r'label="((?:[^"\\]|\\.)*)"', source)
    return [p.replace("\\n", "\n") for p in plain] + re.findall(r"label=<(.*?)>\]", source, re.S)


def kernel_name_problems(name: str, source: str, table: dict[str, list[str]]) -> list[str]:
    """What a figure's source says about kernel files and functions that the 6.18 column does not."""
    files_618 = {row[2] for row in table.values()}
    problems = []
    for label in _label_blocks(source):
        paths = KERNEL_PATH.findall(label)
        funcs = FUNCTION.findall(label)
        for path in paths:
            if path not in files_618:
                problems.append(f"{name}: {path} is not a 6.18 file of the deep dive's table")
        if TABLE_ONLY in source:
            problems += [f"{name}: {f}() is not in the deep dive's table" for f in funcs if f not in table]
        # A function shown with its file: the file is the one the table gives for 6.18.
        if len(paths) == 1 and len(funcs) == 1 and funcs[0] in table and table[funcs[0]][2] != paths[0]:
            problems.append(f"{name}: {funcs[0]}() is in {table[funcs[0]][2]} on 6.18, not {paths[0]}")
    return problems


def test_kernel_names_are_the_deep_dives() -> None:
    table = deep_dive_table()
    problems = []
    for src in sorted(figures.SOURCES.glob("*.dot")):
        problems += kernel_name_problems(src.stem, src.read_text(encoding="utf-8"), table)
    assert not problems, "\n".join(problems)


def test_kernel_name_check_catches_a_wrong_file() -> None:
    table = deep_dive_table()
    wrong = '// the deep dive\'s table\nx [label="syscall_trace_enter()\\nkernel/entry/common.c"];'
    assert kernel_name_problems("x", wrong, table) == [
        "x: kernel/entry/common.c is not a 6.18 file of the deep dive's table",
        "x: syscall_trace_enter() is in kernel/entry/syscall-common.c on 6.18, not kernel/entry/common.c",
    ]
    invented = '// the deep dive\'s table\nx [label="do_everything()"];'
    assert kernel_name_problems("x", invented, table) == ["x: do_everything() is not in the deep dive's table"]


def test_every_figure_is_rendered_from_its_current_source() -> None:
    stale = [f"docs/figures/{f.name}.svg" for f in figures.figures() if f.stale()]
    assert not stale, f"re-render with `python -m devtools.figures`: {stale}"


def test_every_svg_has_a_source() -> None:
    made = {f.svg for f in figures.figures()}
    orphans = sorted(p.name for p in figures.FIGURES.glob("*.svg") if p not in made)
    assert not orphans, f"SVGs with no source in docs/figures/src or docs/figures/data: {orphans}"


def test_a_changed_source_makes_its_figure_stale(tmp_path: Path) -> None:
    src = figures.SOURCES / "syscall-life.dot"
    copy, svg = tmp_path / src.name, tmp_path / "syscall-life.svg"
    shutil.copy2(src, copy)
    shutil.copy2(figures.FIGURES / "syscall-life.svg", svg)
    figure = figures.Figure("syscall-life", (copy,), lambda: "", out=svg)
    assert not figure.stale()
    copy.write_text(copy.read_text(encoding="utf-8").replace("terminal 1", "terminal one"), encoding="utf-8")
    assert figure.stale()


def test_dot_renders_as_committed() -> None:
    """Every .dot source renders; with the Graphviz version the SVG names, to the same bytes."""
    try:
        version = figures.dot_version()
    except figures.FigureError as e:
        skip_or_fail(str(e))
        return
    differ = []
    for src in sorted(figures.SOURCES.glob("*.dot")):
        svg = figures.render_dot(src)
        committed = (figures.FIGURES / f"{src.stem}.svg").read_text(encoding="utf-8")
        if f", {version}, " in committed and svg != committed:
            differ.append(src.name)
    assert not differ, f"rendered differently from the committed SVG by the same {version}: {differ}"


def _ab_result() -> dict:
    """A part-3 result as benchmarks.syscall_overhead.part_ab returns it."""
    return {
        "loop": "machine-code loop of getppid() (x86_64)",
        "calls": 1000,
        "rounds": 3,
        "untraced_ns": [100.0, 120.0, 110.0],
        "configs": [
            {
                "label": "raw_syscalls:sys_enter, count every event",
                "program": "tracepoint:raw_syscalls:sys_enter { @ = count(); }",
                "traced_minus_untraced_ns": [30.0, 90.0, 60.0],
                "program_run_ns": [51.0, 57.0, 54.0],
                "runs_per_call": [1.0, 1.0, 1.0],
            },
            {
                "label": "syscalls:sys_enter_openat (another call), count",
                "program": "tracepoint:syscalls:sys_enter_openat { @ = count(); }",
                "traced_minus_untraced_ns": [5.0, 25.0, 15.0],
                "program_run_ns": [],
                "runs_per_call": [0.0, 0.0, 0.0],
            },
        ],
    }


def test_chart_draws_the_benchmarks_data_file(tmp_path: Path) -> None:
    from benchmarks import syscall_overhead

    data = tmp_path / "syscall-overhead.json"
    syscall_overhead.write_data(data, _ab_result(), "bpftrace v0.17.0")
    assert json.loads(data.read_text())["machine"]["bpftrace"] == "bpftrace v0.17.0"
    svg = overhead_chart.render(data)
    # Each bar's median and range, written beside it, are the file's numbers.
    assert "54  (51–57)" in svg and "60  (30–90)" in svg and "15  (5–25)" in svg
    assert "no runs of the program" in svg
    assert "median of 3 rounds" in svg and "1.00 runs/call" in svg


def test_committed_chart_comes_from_the_committed_data() -> None:
    chart = figures.chart_figure()
    if not chart.inputs[0].exists():
        pytest.fail("docs/figures/data/syscall-overhead.json is missing: run benchmarks.syscall_overhead")
    made = figures.render_chart()
    assert chart.svg.read_text(encoding="utf-8") == made, "re-render with `python -m devtools.figures`"


def _figures_of(page: Page) -> list[Element]:
    return [
        img
        for fig in page.article.find_all(lambda e: e.tag == "figure" and "diagram" in e.classes)
        for img in fig.find_all(lambda e: e.tag == "img")
    ]


def _pages_with_figures(site: Site) -> list[tuple[Page, list[Element]]]:
    found = [(p, _figures_of(p)) for p in site.nav_pages]
    return [(p, imgs) for p, imgs in found if imgs]


def test_built_site_has_the_figures_with_alt_text(site: Site) -> None:
    pages = _pages_with_figures(site)
    count = sum(len(imgs) for _, imgs in pages)
    assert count >= MIN_FIGURES and len(pages) >= MIN_PAGES, (
        f"{count} figures on {len(pages)} pages; want at least {MIN_FIGURES} on {MIN_PAGES}"
    )
    problems, used = [], set()
    for page, imgs in pages:
        for img in imgs:
            src, alt = img.attrs.get("src") or "", img.attrs.get("alt") or ""
            target = (page.path.parent / src).resolve()
            if "://" in src or not target.is_file():
                problems.append(f"{page.rel}: {src} is not a local file of the site")
            if len(alt) < 80 or VACUOUS_ALT.match(alt):
                problems.append(f"{page.rel}: {src}: alt text does not say what the figure shows: {alt!r}")
            used.add(Path(src).name)
    unused = sorted({f.svg.name for f in figures.figures()} - used)
    assert not problems, "\n".join(problems)
    assert not unused, f"figures no page shows: {unused}"


def smallest_font(svg: Path) -> float:
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg.read_text(encoding="utf-8"))]
    return min(sizes) if sizes else 0.0


# --- in the browser ---------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
SCHEMES = {"light": "default", "dark": "slate"}  # the OS preference -> Material's palette
LEGIBLE_PX = 10.0

# Opens every <details> around an element, so that a figure inside a hint is shown.
OPEN_DETAILS_JS = """el => {
  for (let d = el.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("scheme", sorted(SCHEMES))
@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_figures_load_and_read_in_the_browser(
    site: Site, base_url: str, browser, shots_dir: Path, scheme: str, viewport: dict[str, int]
) -> None:
    pages = _pages_with_figures(site)
    if not pages:
        skip_or_fail("no page has a figure")
    problems: list[str] = []
    foreign: list[str] = []
    context = browser.new_context(color_scheme=scheme, viewport=viewport)
    try:
        page = context.new_page()
        page.on("request", lambda r: None if r.url.startswith((base_url, "data:", "blob:")) else foreign.append(r.url))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
        page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
        for target, imgs in pages:
            page.goto(base_url + target.rel)
            page.wait_for_load_state("load")
            palette = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
            if palette != SCHEMES[scheme]:
                problems.append(f"{target.rel}: palette {palette!r} in the {scheme} scheme")
            width = page.evaluate("Math.max(document.body.scrollWidth, document.documentElement.scrollWidth)")
            if width > viewport["width"]:
                problems.append(f"{target.rel}: page {width} px wide at {viewport['width']} px")
            for i, img in enumerate(imgs):
                src = img.attrs.get("src") or ""
                locator = page.locator("article figure.diagram img").nth(i)
                locator.evaluate(OPEN_DETAILS_JS)
                locator.scroll_into_view_if_needed()
                page.wait_for_function("el => el.complete", arg=locator.element_handle(), timeout=5000)
                natural, shown = locator.evaluate("el => [el.naturalWidth, el.getBoundingClientRect().width]")
                if natural <= 0:
                    problems.append(f"{target.rel}: {src} did not load")
                    continue
                font = smallest_font((target.path.parent / src).resolve()) * shown / natural
                if font < LEGIBLE_PX:
                    problems.append(f"{target.rel}: {src}: smallest text {font:.1f} px at {viewport['width']} px wide")
                figure = page.locator("article figure.diagram").nth(i)
                name = f"{scheme}-{viewport['width']}-{target.rel.replace('/', '_')[:-5]}-{Path(src).stem}.png"
                figure.screenshot(path=str(shots_dir / name))
    finally:
        context.close()
    assert not foreign, f"requests to other hosts: {foreign}"
    assert not problems, "\n".join(problems)
