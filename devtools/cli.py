"""`./dev`: bpfhol's one entry point for authors, CI and workshop hosts (the bash bootstrap makes .venv first).

Every command's help comes from here: `./dev help`, `./dev matrix --help`.
"""

from __future__ import annotations

import argparse
import os
import sys
import typing

COMMANDS = {
    "serve": "serve the site on 127.0.0.1:8000 while you edit (mkdocs serve)",
    "test": "set up the machine, then run every check (root)",
    "setup": "only the machine set-up: packages, headers, tracefs, .venv, browser (root; a second run changes nothing)",
    "capture": "[FILTER] re-capture shown outputs from real runs (root); FILTER: a page or snippet name",
    "bench": "print the benchmark figures (root)",
    "figures": "render the figures whose source changed (--all: every one; --check: list the stale ones)",
    "matrix": "the suite on each toolchain in cached chroots, or --kernel K in VMs (root; ./dev matrix --help)",
}
ROOT_ONLY = {"test", "setup", "capture", "bench"}  # and matrix, but for --merge
WHY_ROOT = {
    "matrix": "it builds chroots and loads BPF programs",
    "capture": "it loads BPF programs",
    "bench": "it loads BPF programs",
}
# What the matrix needs on the host: mmdebstrap builds the chroots (Debian's keyring: from Ubuntu too);
# a kernel run boots Debian's kernels under QEMU with virtme-ng (depmod, busybox for its initramfs, a venv).
MATRIX_PACKAGES = ("mmdebstrap", "debian-archive-keyring", "git")
KERNEL_PACKAGES = ("qemu-system-x86", "kmod", "busybox-static", "python3-venv")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> typing.NoReturn:
        """One line, not the usage: `./dev help` shows that."""
        self.exit(2, f"{self.prog}: error: {message} (./dev help lists the commands)\n")


def parser() -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:<8} {text}" for name, text in COMMANDS.items())
    p = _Parser(
        prog="./dev",
        description="bpfhol's one entry point for authors, CI and workshop hosts.",
        epilog=f"commands:\n{listing}\n\nRoot commands as sudo ./dev COMMAND. Works on a fresh Debian 12+ or"
        " Ubuntu 22.04+ machine; everything it needs it installs (what the matrix proves: docs/tested-on.md).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("command", choices=[*COMMANDS, "help"], metavar="COMMAND", help="one of the commands below")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the command's own arguments")
    return p


def need_root(command: str) -> None:
    if os.geteuid() != 0:
        why = WHY_ROOT.get(command, "it installs packages and loads BPF programs")
        print(f"[dev] error: '{command}' needs root, {why}: run it as root (sudo ./dev {command})", file=sys.stderr)
        raise SystemExit(2)


def run(argv: list[str]) -> None:
    """Replace this process with argv: the command gets the terminal and the signals."""
    sys.stdout.flush()
    os.execv(argv[0], argv)


def setup() -> None:
    from devtools import machine

    try:
        verdict = machine.setup()
    except machine.SetupError as e:
        print(f"[dev] error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    machine.say(f"machine ready: {verdict}")


def capture(args: list[str]) -> None:
    """An alias of the docs suite's --update-shown: pytest docs --update-shown [-k FILTER]."""
    from devtools import machine

    p = argparse.ArgumentParser(prog="./dev capture", description=COMMANDS["capture"])
    p.add_argument("filter", nargs="?", default="", help="a page or snippet name, as pytest -k takes it")
    where = p.parse_args(args).filter
    machine.tracefs()
    run(
        [
            sys.executable,
            "-m",
            "pytest",
            "docs",
            "-p",
            "no:cacheprovider",
            "--update-shown",
            *(["-k", where] * bool(where)),
        ]
    )


def matrix(args: list[str]) -> int:
    from devtools import machine
    from devtools import matrix as m

    parsed = m.parse(args)  # --help and every bad argument end here
    if not parsed.merge:  # a merge reads files: no root, nothing to install
        need_root("matrix")
        apt = machine.Apt()
        apt.install([*MATRIX_PACKAGES, *(KERNEL_PACKAGES if parsed.kernels else ())])
        machine.tracefs()
    return m.main(args)


def main(argv: list[str]) -> int:
    ns = parser().parse_args(argv or ["help"])
    command, args = ns.command, ns.args
    if command == "help":
        parser().print_help()
        return 0
    if command in ROOT_ONLY:
        need_root(command)
    if command == "serve":
        run([sys.executable, "-m", "mkdocs", "serve", "-a", "127.0.0.1:8000", *args])
    elif command == "setup":
        setup()
    elif command == "test":
        setup()
        # --machine: the tests that re-run set-up run too (this command has just changed the machine anyway).
        run([sys.executable, "-m", "pytest", "--machine", *args])
    elif command == "capture":
        capture(args)
    elif command == "bench":
        from devtools import machine

        machine.tracefs()
        run([sys.executable, "-m", "benchmarks", *args])
    elif command == "figures":
        from devtools import figures

        return figures.main(args)
    elif command == "matrix":
        return matrix(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
