"""Retrieval over the knowledge base: chunking, tokenisation, lexical, dense, fusion.

Use :func:`search` for passages and :func:`open_kb` for the store itself.
"""

from __future__ import annotations

from huizhen.retrieval.search import MODES, default_kb_path, open_kb, search
from huizhen.store.model import Hit

__all__ = ["MODES", "Hit", "default_kb_path", "open_kb", "search"]
