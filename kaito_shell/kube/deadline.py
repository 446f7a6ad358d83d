"""Deadlines that hold: work runs in daemon threads the caller stops waiting for when time is up.

A socket timeout bounds one read, not a whole exchange (a server that sends a byte every two seconds never
trips it), and a joined worker thread keeps a process alive after its answer was printed. So every cluster call
runs in a daemon thread and the caller waits at most until the deadline; a waiting caller is interrupted by
Ctrl-C at once; an abandoned thread never delays the process's exit. A bulk upload (kube/pipeline.py) works in
the calling thread instead, step by step, and StepWatch shuts its socket when a step overruns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar

T = TypeVar("T")


class DeadlineExceeded(TimeoutError):
    """The work did not finish within its time."""


class Finished(NamedTuple):
    """What a call in `run_all` came to: done with a value or an exception, or still running (`done` False)."""

    done: bool
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0


class _Call(Generic[T]):
    def __init__(self, work: Callable[[], T], name: str) -> None:
        self.work = work
        self.finished = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None
        self.started = time.monotonic()
        self.seconds = 0.0
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def _run(self) -> None:
        try:
            self.value = self.work()
        except BaseException as exc:  # handed to the waiting caller
            self.error = exc
        finally:
            self.seconds = time.monotonic() - self.started
            self.finished.set()


SLICE_SECONDS = 0.1


def wait_for(event: threading.Event, seconds: float | None) -> bool:
    """`event.wait(seconds)` in short slices: a signal the kernel hands to another thread (Ctrl-C in a process with
    worker threads) only runs its handler when the main thread wakes, so it must wake often."""
    ends = None if seconds is None else time.monotonic() + seconds
    while True:
        left = SLICE_SECONDS if ends is None else min(SLICE_SECONDS, ends - time.monotonic())
        if left <= 0:
            return event.is_set()
        if event.wait(left):
            return True


def within(seconds: float | None, work: Callable[[], T], *, on_abandon: Callable[[], None] | None = None,
           name: str = "kaito-call") -> T:
    """`work()`'s result or exception if it finishes within `seconds` (None: no limit), else DeadlineExceeded
    after calling `on_abandon` (e.g. to shut the socket the work is blocked on)."""
    call = _Call(work, name)
    if not wait_for(call.finished, seconds):
        if on_abandon is not None:
            on_abandon()
        raise DeadlineExceeded(f"no answer within {seconds:g}s" if seconds is not None else "no answer")
    if call.error is not None:
        raise call.error
    return call.value  # type: ignore[return-value]


def run_all(works: list[Callable[[], T]], seconds: float | None, name: str = "kaito-call") -> list[Finished]:
    """Every work at once; waits until all finish or `seconds` pass, then reports each (unfinished ones as
    done=False, left running in daemon threads)."""
    calls = [_Call(work, f"{name}-{i}") for i, work in enumerate(works)]
    ends = None if seconds is None else time.monotonic() + seconds
    for call in calls:
        left = None if ends is None else max(0.0, ends - time.monotonic())
        wait_for(call.finished, left)
    return [Finished(True, c.value, c.error, c.seconds) if c.finished.is_set() else Finished(False)
            for c in calls]


class StepWatch:
    """Deadlines for the successive steps of one piece of work done in the calling thread itself (no hand-off to
    another thread per step): one helper thread calls `on_expire` when a step overruns its time (e.g. to shut the
    socket the step is blocked on), and the step then raises DeadlineExceeded. Use as a context manager."""

    def __init__(self, on_expire: Callable[[], None], name: str = "kaito-watch") -> None:
        self._on_expire = on_expire
        self._changed = threading.Condition()
        self._ends: float | None = None  # the running step's deadline (None between steps)
        self._sleeping_until: float | None = None  # what the helper waits for (None: for a step to begin)
        self._closed = False
        self.expired = False
        self._thread = threading.Thread(target=self._watch, name=name, daemon=True)
        self._thread.start()

    def __enter__(self) -> StepWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._thread.join()

    def step(self, seconds: float) -> _Step:
        """`with watch.step(seconds): …` — the work inside must end within `seconds`."""
        return _Step(self, seconds)

    def _begin(self, seconds: float) -> None:
        with self._changed:
            self._ends = time.monotonic() + seconds
            if self._sleeping_until is None or self._sleeping_until > self._ends:
                self._changed.notify()  # the helper sleeps past this deadline (or without one): wake it

    def _end(self) -> bool:
        """End the step; True when it ran out of time (then its work was cut short)."""
        with self._changed:
            self._ends = None
            return self.expired

    def _watch(self) -> None:
        with self._changed:
            while not self._closed:
                if self._ends is not None and time.monotonic() >= self._ends:
                    self.expired, self._ends = True, None
                    self._on_expire()
                    continue
                self._sleeping_until = self._ends
                self._changed.wait(None if self._ends is None else self._ends - time.monotonic())
                self._sleeping_until = None


class _Step:
    def __init__(self, watch: StepWatch, seconds: float) -> None:
        self.watch = watch
        self.seconds = seconds

    def __enter__(self) -> None:
        if self.watch.expired:
            raise DeadlineExceeded(f"no answer within {self.seconds:g}s")
        self.watch._begin(self.seconds)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self.watch._end():
            raise DeadlineExceeded(f"no answer within {self.seconds:g}s") from None
