"""Structure-aware chunking: split a section's text into passages that keep their heading path.

Why: a hit must cite a passage short enough to read and specific enough to
support a suggestion, and it must say where it sits in its document (the
heading path). Chunks never cross a section boundary, so a heading always
describes all of its chunk. The splitter is deterministic — the prebuilt
MedQuAD embeddings are keyed by the text this module produces, so changing its
parameters means rebuilding them (``scripts/build_kb_embeddings.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Largest chunk, in characters. About 300-400 tokens of English: within the
#: embedding model's 512-token window, and a readable citation.
MAX_CHARS = 1500
#: A trailing piece smaller than this is merged into its predecessor.
MIN_CHARS = 200

_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；])\s+|(?<=[。！？；])")


@dataclass(frozen=True)
class Chunk:
    """One passage of a section: its position, text and heading path."""

    ordinal: int
    text: str
    heading_path: tuple[str, ...]


def normalise_whitespace(text: str) -> str:
    """Collapse runs of spaces and blank lines: sources such as MedQuAD indent with
    dozens of spaces, which would waste snippet room and embedding tokens."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    blank = False
    for line in lines:
        if not line:
            blank = bool(out)
            continue
        if blank:
            out.append("")
        out.append(line)
        blank = False
    return "\n".join(out)


def _paragraphs(text: str) -> list[str]:
    """Paragraphs are separated by newlines (blank or not): list items and short
    lines are then packed together up to ``MAX_CHARS``."""
    return [p.strip() for p in text.split("\n") if p.strip()]


def _split_long(paragraph: str, max_chars: int) -> list[str]:
    """Split an over-long paragraph at sentence ends, then hard-split what remains."""
    pieces: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE_END.split(paragraph) if s):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            head, sentence = sentence[:cut].strip(), sentence[cut:].strip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        sep = "" if _is_cjk_boundary(current, sentence) else " "
        if current and len(current) + len(sep) + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current}{sep}{sentence}" if current else sentence
    if current:
        pieces.append(current)
    return pieces


def _is_cjk_boundary(left: str, right: str) -> bool:
    return bool(left) and bool(right) and (_is_cjk(left[-1]) or _is_cjk(right[0]))


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def split_text(text: str, max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> list[str]:
    """Pack paragraphs into chunks of at most ``max_chars`` characters."""
    text = normalise_whitespace(text)
    units: list[str] = []
    for para in _paragraphs(text):
        units.extend(_split_long(para, max_chars) if len(para) > max_chars else [para])
    chunks: list[str] = []
    current = ""
    for unit in units:
        if current and len(current) + 1 + len(unit) > max_chars:
            chunks.append(current)
            current = unit
        else:
            current = f"{current}\n{unit}" if current else unit
    if current:
        if chunks and len(current) < min_chars and len(chunks[-1]) + 1 + len(current) <= max_chars + min_chars:
            chunks[-1] = f"{chunks[-1]}\n{current}"
        else:
            chunks.append(current)
    return chunks


def chunk_section(text: str, heading_path: tuple[str, ...]) -> list[Chunk]:
    """Chunks of one section, each carrying the section's heading path."""
    return [Chunk(i, t, heading_path) for i, t in enumerate(split_text(text))]
