"""Run every benchmark module in turn: `python -m benchmarks [NAME...]` (default: all of them).

Each module runs as `python -m benchmarks.<name>` in its own process and prints its figures;
the exit status is the worst of theirs.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    found = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_"))
    unknown = [n for n in argv if n not in found]
    if unknown:
        print(f"benchmarks: no benchmark named {', '.join(unknown)} (there are: {', '.join(found)})", file=sys.stderr)
        return 2
    worst = 0
    for name in argv or found:
        print(f"== benchmarks.{name}", flush=True)
        worst = max(worst, subprocess.run([sys.executable, "-m", f"benchmarks.{name}"]).returncode)
    return worst


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
