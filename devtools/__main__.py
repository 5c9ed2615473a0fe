"""`python -m devtools COMMAND`: what `./dev COMMAND` runs (devtools/cli.py)."""

import sys

from devtools.cli import main

raise SystemExit(main(sys.argv[1:]))
