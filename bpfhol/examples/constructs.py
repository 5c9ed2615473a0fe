"""What a course program uses of bpftrace's language (and of BCC's API): lexed, never grepped.

`bpftrace_uses(program)` tokenizes a bpftrace program as bpftrace's own lexer would (comments
and string literals are skipped, so a word inside either is never a use) and names each
construct it uses: its probe types (`tracepoint:sched`, `interval`, `BEGIN`), builtins (`pid`,
`$1`), functions (`delete()`), and the language's own constructs (`$variable`, `if`, `?:`,
`keyed map`, `cast`). `shell_programs(script)` finds the bpftrace programs inside a shell
command's `bpftrace -e '...'`, and `bcc_uses(source)` names what a BCC program uses of BCC's
Python API and of its C macros and helpers.

A construct is named the way the pages spell it: the names are the vocabulary of the
`<!-- teaches: ... -->` marker (bpfhol.examples.teaching), and `CONSTRUCTS` says, for the
language's own constructs, how a page's prose shows that it explains one.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

BUILTINS = frozenset(
    "pid tid uid gid nsecs elapsed numaid cpu comm kstack ustack func probe curtask rand cgroup cpid "
    "args retval username jiffies ctx sarg0 sarg1 sarg2 sarg3 sarg4 sarg5 "
    "arg0 arg1 arg2 arg3 arg4 arg5 arg6 arg7 arg8 arg9".split()
)
AGGREGATIONS = frozenset("count sum avg min max stats hist lhist".split())
TYPES = frozenset("int8 int16 int32 int64 uint8 uint16 uint32 uint64 bool string".split())
KEYWORDS = frozenset("if else while unroll for return break continue sizeof offsetof".split())
# bpftrace's probe providers, short forms to the names the course uses.
PROVIDERS = {
    "t": "tracepoint",
    "rt": "rawtracepoint",
    "k": "kprobe",
    "kr": "kretprobe",
    "u": "uprobe",
    "ur": "uretprobe",
    "U": "usdt",
    "i": "interval",
    "p": "profile",
    "s": "software",
    "h": "hardware",
    "f": "kfunc",
    "fentry": "kfunc",
    "fr": "kretfunc",
    "fexit": "kretfunc",
    "w": "watchpoint",
}
PROBE_TYPES = frozenset(PROVIDERS.values()) | {"BEGIN", "END", "iter", "asyncwatchpoint"}

# The language's own constructs, each with what a page's prose must show when it teaches one
# (a regular expression over the prose and its inline code).
CONSTRUCTS: dict[str, str] = {
    "predicate": r"predicate",
    "probe list": r"comma",
    "wildcard probe": r"wildcard",
    "map": r"`@\w",
    "@": r"`@[\[ `]",
    "keyed map": r"`@\w*\[",
    "multi-key map": r"`@\w*\[[^\]`]*,",
    "map assignment": r"`@\w*(?:\[[^\]`]*\])? *= *(?!(?:count|sum|avg|min|max|stats|hist|lhist)\()[^=]",
    "$variable": r"`\$[A-Za-z_]",
    "$1": r"`\$1",
    "$#": r"`\$#",
    "if": r"`if\b",
    "else": r"\belse\b",
    "while": r"`while\b",
    "unroll": r"`unroll\b",
    "for": r"`for\b",
    "return": r"`return\b",
    "?:": r"\?",
    "++": r"`[^`]*(?:\+\+|--)",
    "+=": r"`[^`]*[-+*/%&|^]=",
    "->": r"`[^`]*->",
    ".field": r"`[^`]*\w\.\w",
    "*deref": r"`[^`]*[(\s]\*[(\w]",
    "cast": r"`[^`]*\((?:u?int(?:8|16|32|64)|struct \w+ ?\*)\)",
    "named constant": r"`[A-Z][A-Z0-9_]{2,}`",
    "struct definition": r"`struct ",
    "#include": r"`#include",
    "#define": r"`#define",
}


@dataclass(frozen=True)
class Use:
    construct: str
    line: int  # in the program, from 1


class LexError(ValueError):
    """A program the lexer cannot read (an unterminated string, comment or block)."""


def is_construct(name: str) -> bool:
    """Is `name` a construct this module can report (the vocabulary of `teaches:`)?"""
    if name in CONSTRUCTS or name in BUILTINS or name in PROBE_TYPES:
        return True
    if re.fullmatch(r"(?:tracepoint|rawtracepoint):\w+", name):
        return True
    if re.fullmatch(r"bcc:[\w.#]+(?:\(\))?", name):
        return True
    return bool(re.fullmatch(r"[A-Za-z_]\w*\(\)", name))


_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)+", re.S)
_TOKEN = re.compile(
    r"""(?P<str>"(?:\\.|[^"\\\n])*")
      |(?P<num>\d[\w.]*)
      |(?P<param>\$(?:\d+|\#))
      |(?P<var>\$[A-Za-z_]\w*)
      |(?P<map>@[A-Za-z_]\w*|@)
      |(?P<ident>[A-Za-z_]\w*)
      |(?P<op><<=|>>=|->|\+\+|--|[-+*/%&|^]=|==|!=|<=|>=|&&|\|\||<<|>>|[-+*/%&|^!~<>=?:.,;(){}\[\]])
    """,
    re.X,
)
_PROBE = re.compile(r"[A-Za-z_][^\s,{}]*")
_AFTER_OPERAND = {"ident", "num", "str", "param", "var", "map"}


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    line: int


class _Lexer:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0

    def line(self, pos: int | None = None) -> int:
        return self.src.count("\n", 0, self.pos if pos is None else pos) + 1

    def skip(self) -> None:
        m = _SPACE.match(self.src, self.pos)
        if m:
            self.pos = m.end()
        if self.src.startswith("/*", self.pos):
            raise LexError(f"line {self.line()}: unterminated comment")

    def token(self) -> _Tok:
        self.skip()
        m = _TOKEN.match(self.src, self.pos)
        if not m or m.lastgroup is None:
            what = "string" if self.src.startswith('"', self.pos) else repr(self.src[self.pos : self.pos + 10])
            raise LexError(f"line {self.line()}: cannot read {what}")
        tok = _Tok(m.lastgroup, m.group(), self.line())
        self.pos = m.end()
        return tok

    def peek_char(self) -> str:
        self.skip()
        return self.src[self.pos : self.pos + 1]


def _block(lex: _Lexer) -> list[_Tok]:
    """The tokens of a `{ ... }` block (the opening brace already read), up to its closing brace."""
    found: list[_Tok] = []
    depth = 1
    while True:
        if lex.peek_char() == "":
            raise LexError("unterminated block: a { without its }")
        tok = lex.token()
        depth += {"{": 1, "}": -1}.get(tok.text, 0) if tok.kind == "op" else 0
        if depth == 0:
            return found
        found.append(tok)


def _predicate(lex: _Lexer) -> list[_Tok]:
    """The tokens between a predicate's slashes (the first one already read): a `/` outside
    parentheses and followed by the action's `{` closes it; any other is a division."""
    found: list[_Tok] = []
    depth = 0
    while True:
        if lex.peek_char() == "":
            raise LexError("unterminated predicate")
        tok = lex.token()
        if tok.kind == "op":
            depth += {"(": 1, ")": -1}.get(tok.text, 0)
            if tok.text == "/" and depth == 0 and lex.peek_char() == "{":
                return found
        found.append(tok)


def _probe_uses(spec: str, line: int) -> list[Use]:
    provider = spec.split(":", 1)[0]
    name = PROVIDERS.get(provider, provider)
    uses = []
    if name in ("tracepoint", "rawtracepoint") and ":" in spec:
        uses.append(Use(f"{name}:{spec.split(':')[1]}", line))
    else:
        uses.append(Use(name, line))
    if re.search(r"[*?\[]", spec):
        uses.append(Use("wildcard probe", line))
    return uses


def _expression_uses(toks: list[_Tok]) -> list[Use]:
    uses: list[Use] = []
    for i, tok in enumerate(toks):
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        after_member = prev is not None and prev.text in ("->", ".")
        if tok.kind == "ident" and not after_member:
            if tok.text in KEYWORDS:
                uses.append(Use(tok.text, tok.line))
            elif nxt is not None and nxt.text == "(":
                uses.append(Use(f"{tok.text}()", tok.line))
            elif tok.text in TYPES or tok.text == "struct":
                if prev is not None and prev.text == "(":
                    uses.append(Use("cast", tok.line))
            elif tok.text in BUILTINS:
                uses.append(Use(tok.text, tok.line))
            elif re.fullmatch(r"[A-Z][A-Z0-9_]*", tok.text):
                uses.append(Use("named constant", tok.line))
        elif tok.kind == "var":
            uses.append(Use("$variable", tok.line))
        elif tok.kind == "param":
            uses.append(Use("$#" if tok.text == "$#" else "$1", tok.line))
        elif tok.kind == "map":
            uses.extend(_map_uses(toks, i))
        elif tok.kind == "op":
            if tok.text == "?":
                uses.append(Use("?:", tok.line))
            elif tok.text in ("++", "--"):
                uses.append(Use("++", tok.line))
            elif len(tok.text) >= 2 and tok.text.endswith("=") and tok.text not in ("==", "!=", "<=", ">="):
                uses.append(Use("+=", tok.line))
            elif tok.text == "->" and not (prev is not None and prev.text == "args"):
                uses.append(Use("->", tok.line))
            elif tok.text == ".":
                uses.append(Use(".field", tok.line))
            elif tok.text == "*" and (prev is None or prev.kind not in _AFTER_OPERAND and prev.text not in (")", "]")):
                uses.append(Use("*deref", tok.line))
    return uses


def _map_uses(toks: list[_Tok], i: int) -> list[Use]:
    tok = toks[i]
    uses = [Use("@" if tok.text == "@" else "map", tok.line)]
    j = i + 1
    if j < len(toks) and toks[j].text == "[":
        depth, commas = 0, 0
        while j < len(toks):
            t = toks[j].text if toks[j].kind == "op" else ""
            depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(t, 0)
            commas += t == "," and depth == 1
            j += 1
            if depth == 0:
                break
        uses.append(Use("multi-key map" if commas else "keyed map", tok.line))
    if j < len(toks) and toks[j].text == "=":
        value = toks[j + 1] if j + 1 < len(toks) else None
        call = j + 2 < len(toks) and toks[j + 2].text == "("
        if not (value is not None and value.text in AGGREGATIONS and call):
            uses.append(Use("map assignment", tok.line))
    return uses


def bpftrace_uses(program: str) -> list[Use]:
    """Every construct a bpftrace program uses, in the order of its text (LexError if unreadable)."""
    lex = _Lexer(program)
    if program.startswith("#!"):  # the interpreter line of a program file
        lex.pos = program.find("\n") if "\n" in program else len(program)
    uses: list[Use] = []
    while True:
        lex.skip()
        if lex.pos >= len(lex.src):
            return uses
        start = lex.line()
        if lex.src.startswith("#", lex.pos):  # #include, #define: a line of C's preprocessor
            word = re.match(r"#\s*(\w*)", lex.src[lex.pos :])
            uses.append(Use(f"#{word.group(1) if word else ''}", start))
            end = lex.src.find("\n", lex.pos)
            lex.pos = len(lex.src) if end < 0 else end
            continue
        if re.match(r"config\s*=", lex.src[lex.pos :]):  # bpftrace 0.21's config block: settings, not code
            while lex.token().text != "{":
                pass
            _block(lex)
            if lex.peek_char() == ";":
                lex.pos += 1
            continue
        if re.match(r"(struct|union|enum)\b", lex.src[lex.pos :]):
            uses.append(Use("struct definition", start))
            while lex.token().text != "{":
                pass
            _block(lex)
            if lex.peek_char() == ";":
                lex.pos += 1
            continue
        probes = []
        while True:
            m = _PROBE.match(lex.src, lex.pos)
            if not m:
                raise LexError(f"line {lex.line()}: expected a probe, found {lex.src[lex.pos : lex.pos + 10]!r}")
            probes.append(m.group())
            uses.extend(_probe_uses(m.group(), lex.line()))
            lex.pos = m.end()
            if lex.peek_char() != ",":
                break
            lex.pos += 1
            lex.skip()
        if len(probes) > 1:
            uses.append(Use("probe list", start))
        if lex.peek_char() == "/":
            uses.append(Use("predicate", lex.line()))
            lex.pos += 1
            uses.extend(_expression_uses(_predicate(lex)))
        if lex.peek_char() != "{":
            raise LexError(f"line {lex.line()}: expected the action's {{ after {', '.join(probes)}")
        lex.pos += 1
        uses.extend(_expression_uses(_block(lex)))


# ---------------------------------------------------------------------------------------------
# bpftrace inside a shell command


@dataclass(frozen=True)
class ShellProgram:
    text: str
    line: int  # of the script, where the program's quoted text starts
    language: str = "bpftrace"  # or "python": a BCC program run with `python3 -c`


def _shell_words(script: str) -> list[list[tuple[str, int, bool]]]:
    """The script's commands, each a list of words: (text, line, quoted); here-documents and
    comments are left out. Double-quoted `$NAME` expansions are kept as written."""
    commands: list[list[tuple[str, int, bool]]] = [[]]
    word: list[str] | None = None
    quoted, wline, i, n = False, 1, 0, len(script)
    heredocs: list[str] = []

    def end_word() -> None:
        nonlocal word, quoted
        if word is not None:
            commands[-1].append(("".join(word), wline, quoted))
        word, quoted = None, False

    while i < n:
        c = script[i]
        line = script.count("\n", 0, i) + 1
        if c == "\n":
            end_word()
            i += 1
            for tag in heredocs:  # the here-documents' bodies follow the line that named them
                ends = re.compile(rf"^\t*{re.escape(tag)}$", re.M).search(script, i)
                i = n if ends is None else ends.end() + 1
            commands.append([])
            heredocs = []
            continue
        if c in " \t" or (c == "\\" and script[i + 1 : i + 2] == "\n"):
            end_word()
            i += 2 if c == "\\" else 1
            continue
        if c == "#" and word is None:
            i = script.find("\n", i) if "\n" in script[i:] else n
            continue
        if c in ";|&()":
            end_word()
            commands.append([])
            i += 1
            continue
        if script.startswith("<<", i):
            end_word()
            m = re.match(r"<<-?\s*(['\"]?)(\w+)\1", script[i:])
            if m:
                heredocs.append(m.group(2))
                i += m.end()
                continue
        if word is None:
            word, wline = [], line
        if c == "'":
            close = script.find("'", i + 1)
            if close < 0:
                raise LexError(f"line {line}: unterminated ' quote")
            word.append(script[i + 1 : close])
            quoted, i = True, close + 1
        elif c == '"':
            m = re.compile(r'"((?:\\.|[^"\\])*)"', re.S).match(script, i)
            if not m:
                raise LexError(f'line {line}: unterminated " quote')
            word.append(m.group(1))
            quoted, i = True, m.end()
        else:
            word.append(c)
            i += 1
    end_word()
    return [c for c in commands if c]


def shell_programs(script: str) -> list[ShellProgram]:
    """The programs a shell script runs with `bpftrace -e PROGRAM` (and `python3 -c PROGRAM`,
    which may use BCC). A program spliced from a loop's variable (`for v in 'a' 'b'; do
    bpftrace -e '...'"$v"'...'`) is one program per value the loop gives it."""
    found: list[ShellProgram] = []
    loops: dict[str, list[str]] = {}
    for words in _shell_words(script):
        texts = [w[0] for w in words]
        if texts[:1] == ["for"] and len(texts) > 2 and texts[2] == "in":
            loops[texts[1]] = texts[3:]
            continue
        for k, command in enumerate(texts):
            tool = command.rsplit("/", 1)[-1]
            language, option = ("bpftrace", "-e") if tool == "bpftrace" else ("python", "-c")
            if tool != "bpftrace" and not re.fullmatch(r"python3?(?:\.\d+)?", tool):
                continue
            for j in range(k + 1, len(words) - 1):
                if texts[j] == option:
                    program, line, _ = words[j + 1]
                    found.extend(ShellProgram(p, line, language) for p in _splice(program, loops))
                    break
    return found


def _splice(program: str, loops: dict[str, list[str]]) -> list[str]:
    m = next((m for m in re.finditer(r"\$\{?(\w+)\}?", program) if m.group(1) in loops), None)
    if m is None:
        return [program]
    head, tail = program[: m.start()], program[m.end() :]
    return [v for value in loops[m.group(1)] for v in _splice(head + value + tail, loops)]


# ---------------------------------------------------------------------------------------------
# BCC: the Python API and the C text's macros and helpers

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
