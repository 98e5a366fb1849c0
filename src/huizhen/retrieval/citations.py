"""Passages from the knowledge base that a report cites for its leading diagnoses.

Used by the consult; kept apart so the rule for what counts as a citation
(the passage's document or heading must name the diagnosis) lives in one place.
"""

from __future__ import annotations

from pathlib import Path

from huizhen.errors import HuizhenError
from huizhen.report.model import Citation, DifferentialEntry

#: How the knowledge base names conditions the DDXPlus pack abbreviates (search words only);
#: a passage is about the diagnosis when its title or heading holds every word of one name.
_SEARCH_NAMES = {
    "URTI": ["common cold"],
    "Influenza": ["influenza", "flu"],
    "GERD": ["gastroesophageal reflux", "gerd"],
    "PSVT": ["supraventricular tachycardia"],
    "SLE": ["lupus"],
    "HIV (initial infection)": ["hiv"],
    "Possible NSTEMI / STEMI": ["heart attack"],
    "Larygospasm": ["laryngospasm"],
    "Bronchospasm / acute asthma exacerbation": ["asthma"],
    "Acute COPD exacerbation / infection": ["copd"],
}
_STOP = {"with", "without", "type", "and", "the", "acute", "chronic", "possible", "disease", "syndrome",
         "initial", "infection"}


def _words(text: str) -> set[str]:
    return {w for w in "".join(c.lower() if c.isalnum() else " " for c in text).split()
            if (len(w) > 2 or w.isdigit()) and w not in _STOP}


def _about(names: list[str], title: str) -> bool:
    """Does a title name the diagnosis (all significant words of one of its names, or 60 %)?"""
    have = _words(title)
    for name in names:
        want = _words(name)
        if want and len(want & have) >= (len(want) if len(want) <= 3 else 0.6 * len(want)):
            return True
    return False


def cite_diagnoses(entries: list[DifferentialEntry], *, tenant: str | None, kb: Path | str | None,
                   notes: list[str]) -> list[Citation]:
    """Passages from the knowledge base about the leading diagnoses, numbered for citing.

    A passage is cited only when its document or heading names the diagnosis
    (shares a significant word with it): a loosely related passage is worse
    than none, because the doctor would read it as support.
    """
    from huizhen.retrieval import search

    out: list[Citation] = []
    seen: set[int] = set()
    for entry in entries:
        names = _SEARCH_NAMES.get(entry.name, [entry.name])
        try:
            hits = search(f"{names[0]} treatment", kb=kb, tenant=tenant, top=4)
        except HuizhenError as err:
            notes.append(f"knowledge base not searched: {err.render()}")
            return out
        kept = 0
        for h in hits:
            if h.chunk_id in seen or kept == 2 or not _about(names, h.title + " " + " ".join(h.heading_path)):
                continue
            seen.add(h.chunk_id)
            kept += 1
            out.append(Citation(n=len(out) + 1, title=h.title, heading=" › ".join(h.heading_path),
                                snippet=h.snippet, source=h.source, url=h.url, license=h.license,
                                doc_id=h.doc_id, chunk_id=str(h.chunk_id), scope=h.scope))
    return out
