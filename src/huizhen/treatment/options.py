"""Treatment options from the disease cards, passed through medication safety.

Every drug an option proposes is checked with the patient's own medications,
allergies, renal function, age and pregnancy.  An option with an interrupting
alert (contraindicated or major) is kept and marked unsafe with its reasons —
never silently dropped — so the doctor sees why the usual choice does not fit.
"""

from __future__ import annotations

from typing import Any

from huizhen.patient.model import Patient
from huizhen.report.model import Alert, DifferentialEntry, TreatmentOption


def treatment_options(entries: list[DifferentialEntry], patient: Patient, *, lang: str = "en",
                      cards: dict[str, Any] | None = None) -> list[TreatmentOption]:
    """Options for each entry that has a card, each checked against this patient."""
    from huizhen.safety import check

    if cards is None:
        from huizhen.knowledge.disease_cards import load_cards

        cards = load_cards()
    out: list[TreatmentOption] = []
    for entry in entries:
        card = cards.get(entry.id.removeprefix("ddxplus:")) if entry.id.startswith("ddxplus:") else None
        if card is None:
            continue
        name = entry.name_zh if (lang == "zh" and entry.name_zh) else entry.name
        for t in card.treatments:
            drugs = [t.drug] if t.drug else []
            alerts: list[Alert] = []
            if drugs:
                report = check(patient, drugs)
                proposed = {d.lower() for d in drugs}
                for a in report.alerts:
                    if proposed & {d.lower() for d in a.drugs}:
                        alerts.append(Alert.from_safety(a))
                for u in report.unchecked:
                    if u.lower() in proposed:
                        alerts.append(Alert(type="unchecked", severity="unknown", interrupt=False,
                                            drugs=[u], message="drug not recognised: could not be checked"))
            src = t.source
            where = f", {src.section}" if src.section else ""
            out.append(TreatmentOption(
                diagnosis_id=entry.id, diagnosis=name,
                line={"first": "first-line"}.get(t.line or "", t.line or "option"),
                text=t.text(lang), drugs=drugs, dose=t.dose,
                source=f"{src.title}{where} — {src.url}",
                safe=not any(a.interrupt for a in alerts), alerts=alerts,
            ))
    return out
