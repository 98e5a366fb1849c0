"""The optional language-model layer.

Everything here is opt-in: with no endpoint configured (``HUIZHEN_LLM_BASE_URL``)
no client exists and no network call is made; the features fall back to their
deterministic forms (extractive answers, template notes, the plain consult).
With one, the model's output is always re-checked by deterministic code: the
citation checker for answers and notes, the source span for findings, the
engines for candidates and the medication checker for drugs.
"""

from __future__ import annotations

from collections.abc import Callable

from huizhen.llm.client import ChatClient, ModelOutputError, Usage, total_usage
from huizhen.llm.config import HOW_TO_CONFIGURE, LLMConfig, load_config, require_config

__all__ = ["HOW_TO_CONFIGURE", "ChatClient", "LLMConfig", "ModelOutputError", "Usage",
           "load_config", "make_client", "require_config", "total_usage"]


def make_client(config: LLMConfig | None = None, *,
                on_usage: Callable[[Usage], None] | None = None) -> ChatClient | None:
    """A client for ``config`` (default: the environment), or None when none is configured."""
    cfg = config or load_config()
    return None if cfg is None else ChatClient(cfg, on_usage=on_usage)
