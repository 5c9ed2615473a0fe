"""The programs a shell snippet runs: `bpftrace -e '...'` and `python3 -c '...'`, found by reading
the script's words as the shell splits them (quotes, line continuations, comments and
here-documents), never by grepping, so a program's text is exactly what the tool receives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bpfhol.examples.constructs import LexError

Word = tuple[str, int, bool]  # text, line, quoted


@dataclass(frozen=True)
class ShellProgram:
    text: str
    line: int  # of the script, where the program's quoted text starts
    language: str = "bpftrace"  # or "python": a BCC program run with `python3 -c`


_DOUBLE = re.compile(r'"((?:\\.|[^"\\])*)"', re.S)
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")


class _Words:
    """The script's commands, each a list of words; here-documents and comments left out.
    Double-quoted `$NAME` expansions are kept as written."""

    def __init__(self, script: str) -> None:
        self.script, self.i = script, 0
        self.commands: list[list[Word]] = [[]]
        self.word: list[str] | None = None
        self.quoted, self.wline = False, 1
        self.heredocs: list[str] = []

    def end_word(self) -> None:
        if self.word is not None:
            self.commands[-1].append(("".join(self.word), self.wline, self.quoted))
        self.word, self.quoted = None, False

    def end_command(self) -> None:
        self.end_word()
        self.commands.append([])

    def newline(self) -> None:
        self.end_command()
        self.i += 1
        for tag in self.heredocs:  # the here-documents' bodies follow the line that named them
            ends = re.compile(rf"^\t*{re.escape(tag)}$", re.M).search(self.script, self.i)
            self.i = len(self.script) if ends is None else ends.end() + 1
        self.heredocs = []

    def separator(self) -> bool:
        """Whitespace, a line continuation, a comment, an operator or a here-document: consumed."""
        s, i, c = self.script, self.i, self.script[self.i]
        if c in " \t" or (c == "\\" and s[i + 1 : i + 2] == "\n"):
            self.end_word()
            self.i += 2 if c == "\\" else 1
        elif c == "#" and self.word is None:
            end = s.find("\n", i)
            self.i = len(s) if end < 0 else end
        elif c in ";|&()":
            self.end_command()
            self.i += 1
        elif (m := _HEREDOC.match(s, i)) is not None:
            self.end_word()
            self.heredocs.append(m.group(2))
            self.i = m.end()
        else:
            return False
        return True

    def quote(self, line: int) -> None:
        """A word's next part: a quoted string or one plain character."""
        assert self.word is not None
        s, i, c = self.script, self.i, self.script[self.i]
        if c == "'":
            close = s.find("'", i + 1)
            if close < 0:
                raise LexError(f"line {line}: unterminated ' quote")
            self.word.append(s[i + 1 : close])
            self.quoted, self.i = True, close + 1
        elif c == '"':
            m = _DOUBLE.match(s, i)
            if not m:
                raise LexError(f'line {line}: unterminated " quote')
            self.word.append(m.group(1))
            self.quoted, self.i = True, m.end()
        else:
            self.word.append(c)
            self.i += 1

    def read(self) -> list[list[Word]]:
        while self.i < len(self.script):
            line = self.script.count("\n", 0, self.i) + 1
            if self.script[self.i] == "\n":
                self.newline()
            elif not self.separator():
                if self.word is None:
                    self.word, self.wline = [], line
                self.quote(line)
        self.end_word()
        return [c for c in self.commands if c]


def shell_programs(script: str) -> list[ShellProgram]:
    """The programs a shell script runs with `bpftrace -e PROGRAM` (and `python3 -c PROGRAM`,
    which may use BCC). A program spliced from a loop's variable (`for v in 'a' 'b'; do
    bpftrace -e '...'"$v"'...'`) is one program per value the loop gives it."""
    found: list[ShellProgram] = []
    loops: dict[str, list[str]] = {}
    for words in _Words(script).read():
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
