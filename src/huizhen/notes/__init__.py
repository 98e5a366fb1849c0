"""Visit notes drafted from a consult and the doctor's decisions (template; fluent with a model)."""

from __future__ import annotations

from huizhen.notes.draft import Decisions, NoteDraft, NoteLine, NoteSection, draft_note
from huizhen.notes.fluent import fluent_note

__all__ = ["Decisions", "NoteDraft", "NoteLine", "NoteSection", "draft_note", "fluent_note"]
