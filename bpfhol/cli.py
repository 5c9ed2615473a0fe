"""The `bpfhol` command: a thin layer over the package's modules.

Every error is one line on stderr and exit status 2; a command's own failure
(doctor finding a blocker, a snippet failing) is exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import NoReturn

from bpfhol import __version__
from bpfhol.errors import UsageError
from bpfhol.labs import LABS, known


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage dump
        if "invalid choice" in message and self.prog == "bpfhol":
            bad = message.split("'")[1] if "'" in message else "?"
            message = f"unknown lab or command '{bad}' (labs: {known()}; see bpfhol --help)"
        raise UsageError(message)


def _build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bpfhol",
        description="Hands-on labs for tracing Linux system calls with bpftrace and BCC.",
        epilog="Start a lab's workload with 'sudo bpfhol syscalls', then trace it from another terminal.",
    )
    p.add_argument("--version", action="version", version=f"bpfhol {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    sub.add_parser("list", help="list the labs")

    d = sub.add_parser("doctor", help="check that this machine can run the labs, and say how to fix it")
    d.add_argument("--json", action="store_true", help="print the checks as JSON")
    d.add_argument("--summary", action="store_true", help="print one line only")

    for lab in LABS.values():
        s = sub.add_parser(lab.name, help=f"start the {lab.name} lab's workload (foreground; Ctrl-C stops it)")
        s.set_defaults(lab=lab.name)
        s.add_argument(
            "--seed", type=int, default=0, help=f"scenario number, 0 to {lab.seed_max} (0 = the classic scenario)"
        )
        s.add_argument("--duration", type=float, metavar="SECONDS", help="stop by itself after SECONDS")
        s.add_argument("--answers", action="store_true", help="print the scenario's answer key and exit")
        s.add_argument("--json", action="store_true", help="with --answers: print it as JSON")

    st = sub.add_parser("status", help="list the running lab workloads")
    st.add_argument("--json", action="store_true", help="print every running lab's state as JSON")
    sub.add_parser("stop", help="stop the running lab workloads")

    r = sub.add_parser("run", help="run one of the course's snippets (as root) and print its output")
    r.add_argument("snippet", help="path under snippets/, e.g. syscalls/mmap-top-caller.bt")
    r.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="SECONDS",
        help="trace for SECONDS, then stop it as Ctrl-C would (default: until Ctrl-C)",
    )

    c = sub.add_parser("check", help="run your program for an exercise against the workload and judge its answer")
    c.add_argument("exercise", nargs="?", help="the exercise, as numbered on its page: mmap-1, open-2, close-1, ...")
    c.add_argument("file", nargs="?", help="your program: a .bt (bpftrace) or .py (BCC) file")
    c.add_argument("--list", action="store_true", help="list the exercises and their questions")
    c.add_argument("--seconds", type=float, default=1.0, metavar="N", help="trace for N seconds (default: 1)")
    c.add_argument(
        "--seed", type=int, default=None, help="scenario for a lab the check starts (default: a fresh random one)"
    )
    c.add_argument("--json", action="store_true", help="print the verdict as JSON")
    return p


def _dispatch(args: argparse.Namespace) -> int:
    if args.command is None:
        _build_parser().print_help()
        return 0
    if args.command == "list":
        for lab in LABS.values():
            print(f"{lab.name:10}  {lab.title}: {lab.summary}")
        return 0
    if args.command == "doctor":
        from bpfhol import doctor

        return doctor.main(as_json=args.json, summary=args.summary)
    if args.command in LABS:
        from bpfhol.labs import supervisor

        lab = LABS[args.command]
        if args.json and not args.answers:
            raise UsageError("--json goes with --answers")
        if args.answers:
            lab.check_seed(args.seed)
            key = lab.answer_key(args.seed)
            print(json.dumps(key, indent=2) if args.json else lab.describe(key))
            return 0
        return supervisor.start(lab, seed=args.seed, duration=args.duration)
    if args.command == "status":
        from bpfhol.labs import supervisor

        return supervisor.status(as_json=args.json)
    if args.command == "stop":
        from bpfhol.labs import supervisor

        return supervisor.stop()
    if args.command == "run":
        from bpfhol.examples import run

        return run.cli_run(args.snippet, duration=args.duration)
    if args.command == "check":
        from bpfhol.grading import check

        return check.main(
            args.exercise, args.file, seconds=args.seconds, seed=args.seed, as_json=args.json, list_only=args.list
        )
    raise UsageError(f"unknown command '{args.command}'")


def main(argv: list[str] | None = None) -> int:
    try:
        args = _build_parser().parse_args(argv)
        if args.command is not None:
            from bpfhol.labs.supervisor import sweep

            if swept := sweep():  # what a killed run left
                print(f"bpfhol: {swept}", file=sys.stderr)
        return _dispatch(args)
    except UsageError as e:
        print(f"bpfhol: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `bpfhol ... | head`: the reader left; no traceback for that
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
