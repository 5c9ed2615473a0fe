"""gatewayd (this module): logs to its standard error and re-reads its settings file: payloads to snoop.

Its stderr (fd 2) is a log file in its directory, so nothing reaches a terminal: the text is
seen only by tracing write(2). Each tick writes one heartbeat line; every TOKEN_EVERY-th tick it
also writes a line with its token (the secret the payload exercise finds). Each tick it reads
SETTINGS (open, one read(2) of the whole file, close): its `mode=` line is the other answer, and
a read's data is there only when the call returns.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from workloads import common

COMM = "gatewayd"
ABOUT = "logs to its stderr and re-reads its settings"
SETTINGS = "settings.conf"
LOG = f"{COMM}.log"
TOKEN_EVERY = 5
CLASSIC_TOKEN = "7f3a9c"
CLASSIC_MODE = "verbose"


def heartbeat(n: int) -> bytes:
    return f"{COMM}: worker {n % 4} heartbeat ok\n".encode()


def token_line(token: str) -> bytes:
    return f"{COMM}: session token={token}\n".encode()


class Chatty:
    comm = COMM
    uses_dir = True

    def __init__(self, token: str = CLASSIC_TOKEN, mode: str = CLASSIC_MODE, comm: str = COMM) -> None:
        self.comm = comm
        if not token.isalnum() or not mode.isalnum():
            raise ValueError("token and mode must be letters and digits")
        self.token, self.mode = token, mode

    def start(self) -> None:
        common.write_file(SETTINGS, f"# {COMM} settings\nmode={self.mode}\nretries=3\n")
        log = os.open(LOG, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        os.dup2(log, 2)  # stderr is the log from now on
        os.close(log)

    def tick(self, n: int) -> None:
        os.write(2, heartbeat(n))
        if n % TOKEN_EVERY == 0:
            os.write(2, token_line(self.token))
        fd = os.open(SETTINGS, os.O_RDONLY)
        try:
            os.read(fd, 256)
        finally:
            os.close(fd)

    def stop(self) -> None:
        common.remove_quietly(SETTINGS)
        common.remove_quietly(LOG)


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--token", default=CLASSIC_TOKEN)
    p.add_argument("--mode", default=CLASSIC_MODE)


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Chatty(a.token, a.mode), _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
