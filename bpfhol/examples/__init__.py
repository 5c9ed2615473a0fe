"""The examples engine: every program a page shows is run against the live lab and judged.

    collect  ->  run  ->  judge
    (pages)      (kernel)  (verdict)

Layers, each importing only the ones before it (tests/test_engine_layers.py checks the rule):
  model      Example, its Spec (the `<!-- example -->` comment's language), answer-key placeholders;
             what a page shows of an output, every line fitted to 100 columns (shown.py)
  collect    the course's markup lexed in one place: `<!-- example -->` and the other markers, front
             matter (markers.py); sybil lexers over the pages: the comment, the fenced program, its
             `--8<--` include, its shown-output block, the page's `lab:` (collect.py); what each
             program uses of bpftrace and BCC, lexed (constructs.py; the programs inside a shell
             command, shellscript.py; BCC's API, bccapi.py), and whether the pages, in nav
             order, teach each construct before a program uses it (teaching.py)
  run        one program as a learner runs it (run.py, over bpfhol.program), the toolchain and declared requirements
             (toolchain.py), the labs a run needs and its examples scheduled (session.py), and what
             a run left behind (leftovers.py), whether this process may load BPF at all (access.py)
  judge      expectations checked on live and shown output, and the failure message (judge.py)
  capture    writing shown outputs from passing runs (capture.py)
  plugin     the pytest plugin (plugin.py, a pytest11 entry point): pages as tests, the report file

`bpfhol run` and `bpfhol check` use the same run layer.
"""
