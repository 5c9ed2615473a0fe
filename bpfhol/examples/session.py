"""One docs run: the labs the selected examples need, each example run once, and a clean machine after.

Part of the *run* layer. Only the examples given run (pytest's selection: `-k`, node ids). A lab
starts when the first example of a page naming it (`lab:` in its front matter) is about to run, and
is awaited by its `ready` line, as a learner would start it in another terminal; a lab that cannot
start is one error, reported by every example that needed it as the same line. Labs run one at a
time: the examples are taken lab by lab, and a lab stops once its last example has run, so no
lab's processes show up in another lab's answers. Examples run
concurrently (each mostly sleeps while it traces); an `exclusive` one runs with nothing else beside
it, for answers such as "the top mmap caller" that other examples' start-up could disturb. Before
and after, the machine is compared (bpfhol.examples.leftovers): anything the run left fails it.
"""

from __future__ import annotations

import shlex
import threading
import time
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bpfhol import config
from bpfhol.examples.leftovers import Baseline, Tracker
from bpfhol.examples.model import Example, fill_text
from bpfhol.examples.run import RunResult, run_program, unignore_sigint
from bpfhol.labs.process import LabError, LabProcess
from bpfhol.labs.state import sweep


class _SharedExclusiveLock:
    """Many shared holders, or one exclusive holder; a waiting exclusive one blocks newcomers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._waiting = 0

    def acquire(self, exclusive: bool) -> None:
        with self._cond:
            if exclusive:
                self._waiting += 1
                self._cond.wait_for(lambda: not self._exclusive and self._shared == 0)
                self._waiting -= 1
                self._exclusive = True
            else:
                self._cond.wait_for(lambda: not self._exclusive and self._waiting == 0)
                self._shared += 1

    def release(self, exclusive: bool) -> None:
        with self._cond:
            if exclusive:
                self._exclusive = False
            else:
                self._shared -= 1
            self._cond.notify_all()


class LabUnavailable(Exception):
    """The lab an example needs could not start (the message says why, once for all its examples)."""


@dataclass
class KeyedResult:
    """One example's run, with the answer key of the lab it ran against (None without a lab)."""

    result: RunResult
    key: dict[str, Any] | None


class DocsRun:
    """Runs a set of examples, starting the labs they need; outcomes are awaited one by one."""

    def __init__(self, examples: list[Example], *, seed: int | None = None, jobs: int | None = None) -> None:
        self.examples = examples
        self.seed = config.seed() if seed is None else seed
        self.jobs = jobs or config.docs_jobs()
        self.futures: dict[str, Future[KeyedResult]] = {}
        self.labs: dict[str, LabProcess | LabError] = {}
        self.wall: float = 0.0
        self.tracker = Tracker()
        self._labs_lock = threading.Lock()
        self._turn = threading.Condition()  # one lab at a time
        self._current: str | None = None
        self._closing = False
        self._remaining: dict[str, int] = {}
        self._stopped: dict[str, tuple[int, str]] = {}  # lab -> (exit status, stderr) once stopped
        self._lock = _SharedExclusiveLock()
        self._pool: ThreadPoolExecutor | None = None
        self._baseline: Baseline | None = None
        self._t0 = time.monotonic()

    def start(self) -> None:
        unignore_sigint()
        self._t0 = time.monotonic()
        if swept := sweep():  # what a killed run left (a lab, temporary directories): not this run's
            warnings.warn(swept, stacklevel=1)
        self._baseline = Baseline.take()
        self._pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="example")
        runnable = [ex for ex in self.examples if not ex.problems]
        order = list(dict.fromkeys(ex.lab for ex in runnable))  # labs in page order; None (no lab) too
        for ex in runnable:
            if ex.lab:
                self._remaining[ex.lab] = self._remaining.get(ex.lab, 0) + 1
        for ex in sorted(runnable, key=lambda e: order.index(e.lab)):  # lab by lab, page order within
            self.futures[ex.id] = self._pool.submit(self._run, ex)

    def lab(self, name: str) -> LabProcess:
        """The running lab of that name, started on first use; LabUnavailable if it could not start."""
        with self._labs_lock:
            if name not in self.labs:
                try:
                    lab = LabProcess(name, self.seed)
                    self.tracker.started(lab.pid)
                    self.labs[name] = lab
                except LabError as e:
                    self.labs[name] = e
            got = self.labs[name]
        if isinstance(got, LabError):
            raise LabUnavailable(f"the {name} lab did not start, so no example that needs it ran: {got}")
        return got

    def _take_turn(self, name: str) -> None:
        with self._turn:
            self._turn.wait_for(lambda: self._closing or self._current in (None, name))
            if self._closing:  # -x or an interrupt: examples not yet run never will be
                raise LabUnavailable("the docs run stopped before this example's turn")
            self._current = name

    def _done_with(self, name: str) -> None:
        with self._turn:
            self._remaining[name] -= 1
            if self._remaining[name]:
                return
        lab = self.labs.get(name)
        if isinstance(lab, LabProcess):
            self._stopped[name] = lab.stop()
        with self._turn:
            self._current = None
            self._turn.notify_all()

    def _run(self, ex: Example) -> KeyedResult:
        if ex.lab is None:
            return self._run_in(ex, None)
        self._take_turn(ex.lab)
        try:
            return self._run_in(ex, self.lab(ex.lab))
        finally:
            self._done_with(ex.lab)

    def _run_in(self, ex: Example, lab: LabProcess | None) -> KeyedResult:
        key = lab.key if lab else None
        # Arguments may name a running workload: {pid.gatewayd}.
        argv = (
            shlex.split(fill_text(ex.spec.args, {**lab.key, "pid": lab.pids} if lab else None)) if ex.spec.args else []
        )
        self._lock.acquire(ex.spec.exclusive)
        try:
            timeout = ex.spec.hard_timeout * config.timeout_scale()
            result = run_program(
                ex.kind, ex.source, run=ex.spec.run, timeout=timeout, on_start=self.tracker.started, argv=argv
            )
        finally:
            self._lock.release(ex.spec.exclusive)
        return KeyedResult(result, key)

    def outcome(self, ex: Example) -> KeyedResult:
        return self.futures[ex.id].result()

    def done(self) -> list[tuple[Example, RunResult]]:
        """The examples that ran to the end, with their results (for timing tables)."""
        found = []
        for ex in self.examples:
            f = self.futures.get(ex.id)
            if f is not None and f.done() and not f.cancelled() and f.exception() is None:
                found.append((ex, f.result().result))
        return found

    def close(self) -> list[str]:
        """Stop everything; return what was left behind (empty when the machine is clean)."""
        with self._turn:
            self._closing = True
            self._turn.notify_all()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        problems = []
        for name, lab in self.labs.items():
            if isinstance(lab, LabProcess):
                rc, err = self._stopped[name] if name in self._stopped else lab.stop()
                if rc != 0:
                    problems.append(f"the {name} lab exited with status {rc} when stopped: {err.strip()}")
        self.wall = time.monotonic() - self._t0
        if self._baseline is not None:
            problems += self.tracker.leftovers(self._baseline)
        return problems
