"""What a BCC program uses of BCC: the Python API calls it makes and, in its C text, BCC's macros,
helpers and map methods; named `bcc:NAME` in the vocabulary of the `<!-- teaches: ... -->` marker.
Python is read by its own tokenizer, so comments and f-strings (output formatting) never count.
"""

from __future__ import annotations

import io
import re
import tokenize

from bpfhol.examples.constructs import LexError, Use

_C_TOKEN = re.compile(
    r"""(?P<skip>\s+|//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
      |(?P<pre>^[ \t]*\#[ \t]*\w+)
      |(?P<member>(?:\.|->)[ \t]*[A-Za-z_]\w*(?=\s*\())
      |(?P<ident>[A-Za-z_]\w*(?=\s*\())
      |(?P<other>.)""",
    re.X | re.S | re.M,
)
# The C text's names that are BCC's own: its map and probe macros, BPF helpers, map methods.
_BCC_C = re.compile(r"(?:BPF_\w+|TRACEPOINT_PROBE|RAW_TRACEPOINT_PROBE|KFUNC_PROBE|bpf_\w+)$")
_BCC_METHODS = frozenset(
    "increment lookup update delete lookup_or_try_init insert perf_submit ringbuf_output ringbuf_reserve "
    "ringbuf_submit ringbuf_discard atomic_increment push pop peek".split()
)


def bcc_c_uses(text: str, line: int = 1) -> list[Use]:
    """BCC's macros, helpers and map methods in a BCC program's C text (`line`: where it starts)."""
    uses: list[Use] = []
    for m in _C_TOKEN.finditer(text):
        at = line + text.count("\n", 0, m.start())
        if m.lastgroup == "pre":
            uses.append(Use(f"bcc:#{m.group().strip().lstrip('#').strip()}", at))
        elif m.lastgroup == "ident" and _BCC_C.match(m.group()):
            uses.append(Use(f"bcc:{m.group()}", at))
        elif m.lastgroup == "member":
            name = m.group().lstrip(".->").strip()
            if name in _BCC_METHODS:
                uses.append(Use(f"bcc:.{name}()", at))
    return uses


# BCC's Python API: the calls the course's programs make on a BPF object, its tables and bcc's modules.
_BCC_PY = frozenset(
    "BPF attach_tracepoint attach_raw_tracepoint attach_kprobe attach_kretprobe attach_uprobe "
    "attach_uretprobe detach_tracepoint perf_buffer_poll ring_buffer_poll ring_buffer_consume "
    "open_perf_buffer open_ring_buffer print_log2_hist print_linear_hist trace_print trace_fields "
    "get_table items values keys clear event syscall_name USDT".split()
)


def bcc_uses(source: str) -> list[Use]:
    """What a BCC program (Python) uses of BCC: its Python API calls and, inside its string literals
    (the C text), BCC's macros, helpers and map methods. Python's comments are skipped."""
    uses: list[Use] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as e:
        raise LexError(f"cannot read the Python program: {e}") from e
    for k, tok in enumerate(tokens):
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        prefix = tok.string[: len(tok.string) - len(tok.string.lstrip("rRbBuUfF"))]
        if tok.type == tokenize.STRING and "f" in prefix.lower():
            continue  # an f-string is Python formatting its output, never the C text
        if tok.type == tokenize.STRING:
            body = re.sub(r"^[rRbBuUfF]*('''|\"\"\"|'|\")", "", tok.string)
            uses.extend(bcc_c_uses(body, tok.start[0]))
        elif tok.type == tokenize.NAME and tok.string in _BCC_PY and nxt is not None and nxt.string == "(":
            uses.append(Use(f"bcc:{tok.string}()", tok.start[0]))
    return uses
