"""Medication alerts as CDS Hooks cards.

One card per alert.  The card must be readable in the second an EHR shows it:
a summary under 140 characters naming the drugs and the risk, an indicator
(``critical`` for alerts that should interrupt — contraindications, serious
interactions, allergies — ``warning`` for the rest that need action, ``info``
otherwise), the knowledge source with a label and a URL, and suggestions that
act on the draft order itself: lower its dose when the alert carries the
labelled maximum it exceeds (an ``update`` of the draft with the dose that
keeps the daily total within it), or cancel it.  (Replacing the drug needs a
sourced alternative on the alert; the drug pack names none as data yet, only
in the prose of some rules, which is not parsed into orders.)
``overrideReasons`` are offered so that a dismissal carries a reason back
through the feedback endpoint; those reasons, counted per alert type, are how
a hospital tunes alert fatigue.

Drugs the engine could not identify get their own card: silence about a drug
that was never checked must not read as "no problem found".
"""

from __future__ import annotations

import copy
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from huizhen.api.hookdata import DraftOrder
from huizhen.api.wire.cdshooks import Action, Card, Coding, Source, Suggestion
from huizhen.audit import ShownCard
from huizhen.safety.dose import MASS_TO_MG

SUMMARY_MAX = 139
OVERRIDE_SYSTEM = "urn:huizhen:cds:override-reason"
OVERRIDE_REASONS: list[Coding] = [
    Coding(system=OVERRIDE_SYSTEM, code="benefit-outweighs-risk", display="Benefit outweighs risk"),
    Coding(system=OVERRIDE_SYSTEM, code="tolerated-before",
           display="Patient has tolerated this combination before"),
    Coding(system=OVERRIDE_SYSTEM, code="will-monitor", display="Will monitor or adjust the dose"),
    Coding(system=OVERRIDE_SYSTEM, code="not-applicable",
           display="Alert does not apply to this patient"),
    Coding(system=OVERRIDE_SYSTEM, code="data-incorrect", display="Patient data is incorrect"),
]
DEFAULT_SOURCE = Source(label="huizhen medication safety rules")

_ACTIONABLE = {"contraindicated", "major", "moderate"}

#: Organisation or data-set pages for the sources the drug pack cites (first match wins).
SOURCE_URLS: tuple[tuple[str, str], ...] = (
    ("ANSM", "https://ansm.sante.fr/"),
    ("ONC ", "https://www.healthit.gov/"),
    ("Beers", "https://www.americangeriatrics.org/"),
    ("MHRA", "https://www.gov.uk/government/organisations/medicines-and-healthcare-products-regulatory-agency"),
    ("FDA Drug Safety Communication", "https://www.fda.gov/drugs/drug-safety-and-availability"),
    ("label", "https://dailymed.nlm.nih.gov/dailymed/"),
    ("DrugBank", "https://go.drugbank.com/"),
)


@dataclass(frozen=True, slots=True)
class CardSet:
    cards: list[Card]
    shown: list[ShownCard]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    for name in ("value", "name", "label", "display", "written"):
        inner = _get(value, name)
        if isinstance(inner, str) and inner:
            return inner
    return str(value)


def indicator(alert: Any) -> str:
    """critical only for alerts the engine says should interrupt (contraindicated and major,
    minus the ONC non-interruptive pairs); warning for the rest that need action; info for
    minor ones.  Interrupting sparingly is itself a safety measure against alert fatigue."""
    if _get(alert, "interrupt"):
        return "critical"
    if _text(_get(alert, "severity")).lower() in _ACTIONABLE:
        return "warning"
    return "info"


def shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    """At most ``limit`` characters, cut at a word boundary when one is near, with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit - 25:
        cut = cut[:space]
    return cut.rstrip(" ,;:—-(/") + "…"


def _drug_names(alert: Any) -> list[str]:
    return [_text(d) for d in (_get(alert, "drugs") or []) if _text(d)]


def _effect(alert: Any) -> str:
    """The risk: a safety alert's ``effect``, or a consult alert's ``message`` ("drugs: effect")."""
    effect = _text(_get(alert, "effect"))
    if effect:
        return effect
    message = _text(_get(alert, "message"))
    prefix = " + ".join(_drug_names(alert)) + ": "
    return message.removeprefix(prefix)


def summary(alert: Any) -> str:
    """``"Interaction: Warfarin 5 MG + Aspirin 81 MG — bleeding"``, cut to 139 characters.

    The effect comes before the drug names are cut, so a long product name
    cannot push the risk itself off the card.
    """
    kind = _text(_get(alert, "type")).replace("_", " ").replace("-", " ").strip().capitalize()
    what = _effect(alert) or _text(_get(alert, "trigger"))
    tail = f" — {shorten(what, 60)}" if what else ""
    drugs = " + ".join(_drug_names(alert)) or "medication"
    head = f"{kind or 'Alert'}: "
    room = SUMMARY_MAX - len(head) - len(tail)
    return shorten(head + shorten(drugs, max(room, 20)) + tail)


def source(alert: Any) -> Source:
    """The source's label, and the page of the organisation or data set it names."""
    label = _text(_get(alert, "source"))
    if not label:
        return DEFAULT_SOURCE
    url = next((u for key, u in SOURCE_URLS if key in label), None)
    if label.startswith("huizhen "):
        return Source(label=shorten(label, 100))
    return Source(label=shorten(label, 100), url=url)


def involved(alert: Any, drafts: Sequence[DraftOrder]) -> list[DraftOrder]:
    """The draft orders an alert is about: alerts name drugs as written on the order."""
    drugs = set(_drug_names(alert))
    return [order for order in drafts if order.medication.written in drugs]


def round_down(value: float) -> float:
    """``value`` rounded down to two significant figures (1066.7 -> 1000, 66.7 -> 66), so a
    lowered dose is one a prescriber could write and never above the ceiling it came from."""
    if value <= 0:
        return 0.0
    step = 10.0 ** (math.floor(math.log10(value)) - 1)
    return round(math.floor(value / step + 1e-9) * step, 10)


def lowered_order(alert: Any, order: DraftOrder) -> tuple[dict[str, Any], float, str] | None:
    """The draft order with its dose lowered so the daily total stays within the maximum the
    alert carries (``max_daily_dose``, a UCUM ``mg/d`` quantity from the drug pack's labelled
    maximum), the schedule kept; the new dose; and the action's description.  None when the
    alert carries no maximum or the order's dose is not a mass dose on a known schedule.

    Only the dose the medication check read is changed: the first ``doseQuantity`` of
    the first ``dosageInstruction``.  Its free-text ``text`` is dropped, since it would
    still state the old dose.
    """
    limit = _get(alert, "max_daily_dose")
    med = order.medication
    if not isinstance(limit, dict) or limit.get("code") != "mg/d" or med.per_day is None \
            or med.dose_value is None or not med.dose_unit:
        return None
    factor = MASS_TO_MG.get(med.dose_unit.strip().lower())
    if factor is None or med.per_day <= 0:
        return None
    most = float(limit["value"])
    dose = round_down(most / med.per_day / factor)
    if dose <= 0 or dose >= med.dose_value:
        return None
    resource = copy.deepcopy(order.resource)
    dosages = resource.get("dosageInstruction") or []
    quantity = next((rate["doseQuantity"] for rate in (dosages[0].get("doseAndRate") or [])
                     if isinstance(rate, dict) and isinstance(rate.get("doseQuantity"), dict)
                     and rate["doseQuantity"].get("value") is not None), None) if dosages else None
    if quantity is None or float(quantity["value"]) != med.dose_value:
        return None
    quantity["value"] = dose
    dosages[0].pop("text", None)
    daily = dose * factor * med.per_day
    description = (f"Lower the dose to {dose:g} {med.dose_unit} ({med.per_day:g} a day: "
                   f"{daily:g} mg/day), within the maximum of {most:g} mg/day — "
                   f"{_text(_get(alert, 'source'))}")
    return resource, dose, description


def suggestions(alert: Any, drafts: Sequence[DraftOrder]) -> list[Suggestion]:
    """For each draft order involved: lower its dose when the alert carries the maximum it
    exceeds (recommended then), or cancel it."""
    out: list[Suggestion] = []
    for order in involved(alert, drafts):
        if not order.resource_id:
            continue
        ref = f"MedicationRequest/{order.resource_id}"
        drug = order.medication.written
        lowered = lowered_order(alert, order)
        if lowered is not None:
            resource, dose, description = lowered
            out.append(Suggestion(
                label=shorten(f"Lower {drug} to {dose:g} {order.medication.dose_unit} a dose", 80),
                uuid=str(uuid.uuid4()), isRecommended=True,
                actions=[Action(type="update", description=description, resource=resource)],
            ))
        out.append(Suggestion(
            label=shorten(f"Cancel the order for {drug}", 80), uuid=str(uuid.uuid4()),
            isRecommended=indicator(alert) == "critical" and lowered is None,
            actions=[Action(type="delete", description=f"Remove the draft order for {drug}",
                            resourceId=ref)],
        ))
    return out


def detail(alert: Any) -> str:
    """Markdown: why, what it risks, what to do, how severe, and the exact source."""
    lines = []
    for label, name in (("Why", "trigger"), ("Risk", "effect"), ("What to do", "management"),
                        ("Severity", "severity")):
        value = _effect(alert) if name == "effect" else _text(_get(alert, name))
        if value:
            lines.append(f"**{label}:** {value}")
    cited = _text(_get(alert, "source"))
    ref = _text(_get(alert, "source_ref"))
    if cited:
        lines.append(f"**Source:** {cited}" + (f" — {ref}" if ref else ""))
    if _get(alert, "local"):
        lines.append("_From this hospital's own rules._")
    notes = [f"- {_text(note)}" for note in _get(alert, "notes") or []]
    if notes:
        lines.append("\n".join(notes))
    lines.append("_huizhen supports, and does not replace, the prescriber's judgement._")
    return "\n\n".join(lines)


def alert_card(alert: Any, drafts: Sequence[DraftOrder]) -> tuple[Card, ShownCard]:
    suggested = suggestions(alert, drafts)
    card = Card(
        uuid=str(uuid.uuid4()), summary=summary(alert), detail=detail(alert),
        indicator=indicator(alert),  # type: ignore[arg-type]
        source=source(alert),
        suggestions=suggested or None,
        selectionBehavior="at-most-one" if suggested else None,
        overrideReasons=OVERRIDE_REASONS,
    )
    kind = _text(_get(alert, "type")) or "medication"
    shown = ShownCard(uuid=card.uuid or "", alert_type=kind, indicator=card.indicator,
                      summary=card.summary, suggestions=[s.uuid or "" for s in suggested])
    return card, shown


def unchecked_card(unchecked: Iterable[Any], hints: dict[str, list[str]] | None = None
                   ) -> tuple[Card, ShownCard] | None:
    names = [_text(u) for u in unchecked if _text(u)]
    if not names:
        return None
    hints = hints or {}
    listed = [f"- {n}" + (f" (did you mean: {', '.join(hints[n])}?)" if hints.get(n) else "")
              for n in names]
    card = Card(
        uuid=str(uuid.uuid4()),
        summary=shorten(f"Not checked (unknown to huizhen): {', '.join(names)}"),
        detail="These medications could not be identified, so no interaction, allergy or "
               "dose check was made for them. Check them by hand.\n\n" + "\n".join(listed),
        indicator="warning", source=DEFAULT_SOURCE,
    )
    return card, ShownCard(uuid=card.uuid or "", alert_type="unchecked", indicator="warning",
                           summary=card.summary)


def report_cards(report: Any, drafts: Sequence[DraftOrder]) -> CardSet:
    """All cards for one safety report, most urgent first."""
    pairs = [alert_card(alert, drafts) for alert in (_get(report, "alerts") or [])]
    order = {"critical": 0, "warning": 1, "info": 2}
    pairs.sort(key=lambda pair: order[pair[0].indicator])
    extra = unchecked_card(_get(report, "unchecked") or [], _get(report, "suggestions") or {})
    if extra is not None:
        pairs.append(extra)
    return CardSet(cards=[c for c, _ in pairs], shown=[s for _, s in pairs])


CONSULT_SOURCE = Source(label="huizhen consult (common-disease model and HPO phenotype engine)")


def cannot_miss_card(entry: Any) -> tuple[Card, ShownCard]:
    """A diagnosis the differential flags as cannot-miss: consider it and rule it out."""
    share = f"{entry.probability:.0%}" if entry.probability is not None else "?"
    lines = [f"**Probability in the differential:** {share} ({', '.join(entry.engines)})"]
    if entry.evidence_for:
        lines.append("**For:** " + "; ".join(e.label for e in entry.evidence_for[:8]))
    if entry.evidence_against:
        lines.append("**Against:** " + "; ".join(e.label for e in entry.evidence_against[:8]))
    lines.append("_A cannot-miss diagnosis is shown for its consequences if missed, not because "
                 "it is the most likely one._")
    card = Card(
        uuid=str(uuid.uuid4()),
        summary=shorten(f"Cannot miss: {entry.name} ({share}) — consider and rule out"),
        detail="\n\n".join(lines), indicator="warning", source=CONSULT_SOURCE,
        overrideReasons=OVERRIDE_REASONS,
    )
    return card, ShownCard(uuid=card.uuid or "", alert_type="cannot-miss", indicator="warning",
                           summary=card.summary)


def questions_card(questions: Sequence[Any]) -> tuple[Card, ShownCard] | None:
    """The red-flag questions nobody has answered yet, most informative first."""
    flagged = [q for q in questions if q.red_flag][:3]
    if not flagged:
        return None
    lines = [f"- {q.text}" + (f" _(rules out: {q.reason})_" if q.reason else "") for q in flagged]
    card = Card(
        uuid=str(uuid.uuid4()), summary=shorten(f"Ask next: {flagged[0].text}"),
        detail="Unanswered questions that would change the differential most:\n\n"
               + "\n".join(lines),
        indicator="info", source=CONSULT_SOURCE,
    )
    return card, ShownCard(uuid=card.uuid or "", alert_type="next-question", indicator="info",
                           summary=card.summary)


def consult_cards(report: Any) -> CardSet:
    """patient-view: cannot-miss diagnoses, then medication alerts, then questions to ask."""
    pairs = [cannot_miss_card(e) for e in report.differential if e.cannot_miss]
    pairs += [alert_card(a, []) for a in report.alerts]
    extra = unchecked_card(report.unchecked_drugs)
    if extra is not None:
        pairs.append(extra)
    asked = questions_card(report.questions)
    if asked is not None:
        pairs.append(asked)
    return CardSet(cards=[c for c, _ in pairs], shown=[s for _, s in pairs])
