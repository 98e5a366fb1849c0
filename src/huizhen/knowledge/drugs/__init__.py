"""Drug knowledge: the vocabulary (names -> ingredients) and the safety rule pack."""

from __future__ import annotations

from huizhen.knowledge.drugs.vocabulary import DrugMention, Vocabulary, load_vocabulary

__all__ = ["DrugMention", "Vocabulary", "load_vocabulary"]
