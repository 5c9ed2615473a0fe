"""What a page shows of an output: every line fits 100 columns, and wrapping loses nothing."""

from __future__ import annotations

import pytest

from bpfhol.examples.judge import unmet
from bpfhol.examples.model import SpecError, parse_spec
from bpfhol.examples.shown import CONTINUED, CUT, WIDTH, columns, fit, too_wide, unwrap

# bpftrace 0.17's own message, as raw-probe-limits.sh prints it (166 characters).
ERROR = (
    "You can increase the limit through the BPFTRACE_MAX_PROBES environment variable, but BE CAREFUL "
    "since a high number of probes attached can cause your system to crash."
)
FORMAT = "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;"


def test_a_wrapped_line_fits_and_joins_back_exactly() -> None:
    output = f"--- @ = count();\n{ERROR}\n"
    shown = fit(output)
    assert too_wide(shown) == []
    lines = shown.splitlines()
    assert lines[0] == "--- @ = count();" and lines[2].startswith(f"{CONTINUED} ")  # broken before a space
    assert unwrap(shown) == output


def test_a_line_without_spaces_is_broken_anywhere_and_joins_back() -> None:
    output = "x" * 250
    shown = fit(output)
    assert [columns(line) for line in shown.split("\n")] == [100, 100, 52]
    assert unwrap(shown) == output


def test_a_cut_line_ends_in_the_mark_at_the_width() -> None:
    line = 'print fmt: "NR %ld (%lx, %lx, %lx, %lx, %lx, %lx)", ' + ", ".join(f"REC->args[{i}]" for i in range(6))
    shown = fit(f"{FORMAT}\n{line}\n", "cut")
    kept, cut = shown.splitlines()
    assert kept == FORMAT and cut.endswith(CUT) and columns(cut) == WIDTH
    assert line.startswith(cut.removesuffix(CUT))


def test_tabs_count_to_the_next_stop_of_eight() -> None:
    assert columns(FORMAT) == 89  # 8 + 42, then stops at 56, 72 and 80
    assert fit(FORMAT + "\t" + "y" * 10) != FORMAT + "\t" + "y" * 10  # 96 + 10 columns: too wide


def test_short_outputs_are_left_as_they_are() -> None:
    for output in ("", "a\n", "a\n\nb", "@[1]: 2\n\n"):
        assert fit(output) == output == unwrap(output)


def test_expectations_match_the_wrapped_shown_output_as_they_match_the_live_one() -> None:
    spec = parse_spec(r"expect: ^You can increase .* BE CAREFUL since a high number of probes attached\b")
    output = ERROR + "\n"
    assert unmet(spec, output, None) == []
    assert unmet(spec, fit(output), None) != []  # the raw shown text would not match ...
    assert unmet(spec, unwrap(fit(output)), None) == []  # ... the judge joins it first


def test_long_lines_takes_wrap_or_cut() -> None:
    assert parse_spec("expect: x\nlong-lines: cut").long_lines == "cut"
    assert parse_spec("expect: x").long_lines == "wrap"
    with pytest.raises(SpecError, match="long-lines: 'fold': expected wrap or cut"):
        parse_spec("expect: x\nlong-lines: fold")
