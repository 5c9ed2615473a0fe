"""What a course program uses of bpftrace's language (and of BCC's API): lexed, never grepped.

`bpftrace_uses(program)` tokenizes a bpftrace program as bpftrace's own lexer would (comments
and string literals are skipped, so a word inside either is never a use) and names each
construct it uses: its probe types (`tracepoint:sched`, `interval`, `BEGIN`), builtins (`pid`,
`$1`), functions (`delete()`), and the language's own constructs (`$variable`, `if`, `?:`,
`keyed map`, `cast`). The programs inside a shell command are found by
bpfhol.examples.shellscript, and what a BCC program uses by bpfhol.examples.bccapi.

A construct is named the way the pages spell it: the names are the vocabulary of the
`<!-- teaches: ... -->` marker (bpfhol.examples.teaching), and `CONSTRUCTS` says, for the
language's own constructs, how a page's prose shows that it explains one.
"""

from __future__ import annotations

import re
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
