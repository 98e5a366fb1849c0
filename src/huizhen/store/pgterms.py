"""Index terms as PostgreSQL ``tsvector`` / ``tsquery`` lexemes, for :mod:`huizhen.store.postgres`.

Why apart from the store: this is pure text work — no connection, no SQL —
turning the terms ingestion made into lexemes exactly as given (no parsing, no
dictionary), weighted by field, within PostgreSQL's limits on positions and
lexeme length.
"""

from __future__ import annotations

import re

#: tsvector limits: positions above 16383 collapse, lexemes are at most 2047 bytes.
_MAX_POS, _MAX_LEXEME_BYTES = 16383, 2046
_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


def lexeme(term: str) -> str:
    """A term as a quoted tsvector/tsquery lexeme: no parsing, no dictionary."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _indexable(term: str) -> bool:
    return len(term) <= _MAX_LEXEME_BYTES // 4 or len(term.encode("utf-8")) <= _MAX_LEXEME_BYTES


def tsvector_literal(title_terms: str, heading_terms: str, body_terms: str
                    ) -> tuple[str, tuple[int, int, int]]:
    """The ``tsvector`` of a chunk's index terms — title weighted A, heading path B,
    body D, positions running across the fields — and the number of terms of each field."""
    positions: dict[str, list[str]] = {}
    pos = 0
    counts = []
    for terms, weight in ((title_terms, "A"), (heading_terms, "B"), (body_terms, "")):
        words = terms.split()
        counts.append(len(words))
        for term in words:
            pos += 1
            at = positions.get(term)
            if at is None:
                at = positions[term] = []
            at.append(f"{min(_MAX_POS, pos)}{weight}")
    literal = " ".join(f"{lexeme(t)}:{','.join(p)}" for t, p in positions.items()
                       if _indexable(t))
    return literal, (counts[0], counts[1], counts[2])


def distinct_terms(title_terms: str, heading_terms: str, body_terms: str) -> set[str]:
    """The lexemes a chunk's tsvector holds: what its document frequencies count."""
    return {t for t in f"{title_terms} {heading_terms} {body_terms}".split() if _indexable(t)}


def match_terms(match: str) -> list[str]:
    """The terms of a match expression as :func:`huizhen.retrieval.lexical.fts_match_expression`
    writes it (quoted terms joined by OR); bare words are taken as terms too."""
    terms = [m.replace('""', '"') for m in _QUOTED.findall(match)]
    rest = _QUOTED.sub(" ", match)
    terms += [w for w in rest.split() if w not in ("OR", "AND", "NOT")]
    return [t for t in dict.fromkeys(terms) if t and _indexable(t)]
