"""One small interface for every way of getting a masked text: offline, Converse, batch.

A backend turns ``Request``s into ``Result``s. On-demand backends implement ``complete`` for one
request; ``run`` drives many with bounded concurrency and calls ``on_result`` as each arrives,
so the caller can write it to disk at once. The rest of the pipeline cannot tell backends apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    request_id: str
    system: str
    user: str
    temperature: float = 0.8
    max_tokens: int = 700
    top_p: float = 0.95
    metadata: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Result:
    request_id: str
    text: str | None = None
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    attempts: int = 1
    metadata: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None


class Backend:
    """Base class: subclasses set ``name``/``model_id`` and implement ``complete``."""

    name = "base"
    model_id = ""
    concurrency = 1

    def complete(self, request: Request) -> Result:  # pragma: no cover - interface
        raise NotImplementedError

    def preflight(self) -> None:
        """Check, before the first request, that requests can succeed (credentials, model access);
        raise with a message that says what to fix. Nothing to check by default."""

    def run(
        self,
        requests: Iterable[Request],
        on_result: Callable[[Result], None],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Complete every request, at most ``concurrency`` at a time; never drops one.

        A request whose ``complete`` raises is reported as a failed ``Result`` with the error.
        """
        requests = list(requests)
        if self.concurrency <= 1:
            for r in requests:
                on_result(self._safe_complete(r))
                if progress:
                    progress(1)
            return
        lock = threading.Lock()
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            pending = set()
            it = iter(requests)
            for r in it:  # keep at most `concurrency` futures in flight: memory stays flat
                pending.add(pool.submit(self._safe_complete, r))
                if len(pending) >= self.concurrency:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    with lock:
                        on_result(fut.result())
                        if progress:
                            progress(1)
                    nxt = next(it, None)
                    if nxt is not None:
                        pending.add(pool.submit(self._safe_complete, nxt))

    def _safe_complete(self, request: Request) -> Result:
        t0 = time.perf_counter()
        try:
            return self.complete(request)
        except Exception as exc:  # a bug or an unexpected error loses nothing: it is recorded
            return Result(request.request_id, error=f"{type(exc).__name__}: {exc}", latency_s=time.perf_counter() - t0)
