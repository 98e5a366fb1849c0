"""Medication alerts as CDS Hooks cards.

One card per alert.  The card must be readable in the second an EHR shows it:
a summary under 140 characters naming the drugs and the risk, an indicator
(``critical`` for alerts that should interrupt — contraindications, serious
interactions, allergies — ``warning`` for the rest that need action, ``info``
otherwise), the knowledge source with a label and a URL, and suggestions that
act on the draft order itself: cancel it, or replace it with an alternative
when the rule names one.  ``overrideReasons`` are offered so that a dismissal
carries a reason back through the feedback endpoint; those reasons, counted
per alert type, are how a hospital tunes alert fatigue.

Drugs the engine could not identify get their own card: silence about a drug
that was never checked must not read as "no problem found".
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from huizhen.api.hookdata import DraftOrder
from huizhen.api.wire.cdshooks import Action, Card, Coding, Source, Suggestion
from huizhen.audit import ShownCard

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

_CRITICAL = {"contraindicated", "contraindication", "critical", "severe", "major", "high", "serious"}
_WARNING = {"moderate", "warning", "medium", "caution"}


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
    """info / warning / critical from the alert's severity and whether it interrupts."""
    severity = _text(_get(alert, "severity")).lower()
    if _get(alert, "interrupt") or severity in _CRITICAL:
        return "critical"
    if severity in _WARNING:
        return "warning"
    return "info"


def shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;:—-") + "…"


def _drug_names(alert: Any) -> list[str]:
    return [_text(d) for d in (_get(alert, "drugs") or []) if _text(d)]


def summary(alert: Any) -> str:
    """``"Interaction: warfarin + aspirin — bleeding risk"``, cut to fit 139 characters."""
    kind = _text(_get(alert, "type")).replace("_", " ").replace("-", " ").strip().capitalize()
    head = f"{kind or 'Alert'}: {' + '.join(_drug_names(alert)) or 'medication'}"
    trigger = _text(_get(alert, "trigger"))
    return shorten(f"{head} — {trigger}" if trigger else head)


def source(alert: Any) -> Source:
    raw = _get(alert, "source")
    if raw is None:
        return DEFAULT_SOURCE
    if isinstance(raw, str):
        url = raw if raw.startswith(("http://", "https://")) else None
        return Source(label=shorten(raw, 200) if not url else DEFAULT_SOURCE.label, url=url)
    label = _text(_get(raw, "label")) or _text(_get(raw, "name")) or DEFAULT_SOURCE.label
    url = _get(raw, "url")
    return Source(label=label, url=url if isinstance(url, str) and url else None)


def _names(order: DraftOrder) -> set[str]:
    med = order.medication
    names = {med.written.lower()}
    names.update(i.name.lower() for i in med.ingredients)
    return names


def involved(alert: Any, drafts: Sequence[DraftOrder]) -> list[DraftOrder]:
    """The draft orders an alert is about (matched on written name or ingredient)."""
    drugs = [d.lower() for d in _drug_names(alert)]
    out = []
    for order in drafts:
        names = _names(order)
        if any(d in names or any(d and d in n for n in names) for d in drugs):
            out.append(order)
    return out


def _replacement(order: DraftOrder, alternative: str) -> dict[str, Any]:
    resource = copy.deepcopy(order.resource)
    resource["id"] = f"{order.resource_id or 'draft'}-alt-{uuid.uuid4().hex[:8]}"
    resource.pop("medicationReference", None)
    resource["medicationCodeableConcept"] = {"text": alternative}
    resource["status"] = "draft"
    return resource


def suggestions(alert: Any, drafts: Sequence[DraftOrder]) -> list[Suggestion]:
    """Cancel each draft order involved; replace it when the alert names alternatives."""
    out: list[Suggestion] = []
    alternatives = [_text(a) for a in (_get(alert, "alternatives") or []) if _text(a)]
    for order in involved(alert, drafts):
        if not order.resource_id:
            continue
        ref = f"MedicationRequest/{order.resource_id}"
        drug = order.medication.written
        out.append(Suggestion(
            label=shorten(f"Cancel the order for {drug}", 80), uuid=str(uuid.uuid4()),
            isRecommended=indicator(alert) == "critical",
            actions=[Action(type="delete", description=f"Remove the draft order for {drug}",
                            resourceId=ref)],
        ))
        for alternative in alternatives[:3]:
            out.append(Suggestion(
                label=shorten(f"Replace {drug} with {alternative}", 80), uuid=str(uuid.uuid4()),
                actions=[
                    Action(type="delete", description=f"Remove the draft order for {drug}",
                           resourceId=ref),
                    Action(type="create", description=f"Order {alternative} instead",
                           resource=_replacement(order, alternative)),
                ],
            ))
    return out


def detail(alert: Any) -> str:
    lines = []
    trigger = _text(_get(alert, "trigger"))
    management = _text(_get(alert, "management"))
    if trigger:
        lines.append(f"**Why:** {trigger}")
    if management:
        lines.append(f"**What to do:** {management}")
    severity = _text(_get(alert, "severity"))
    if severity:
        lines.append(f"**Severity:** {severity}")
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


def unchecked_card(unchecked: Iterable[Any]) -> tuple[Card, ShownCard] | None:
    names = [_text(u) for u in unchecked if _text(u)]
    if not names:
        return None
    card = Card(
        uuid=str(uuid.uuid4()),
        summary=shorten(f"Not checked (unknown to huizhen): {', '.join(names)}"),
        detail="These medications could not be identified, so no interaction, allergy or "
               "dose check was made for them. Check them by hand.\n\n"
               + "\n".join(f"- {n}" for n in names),
        indicator="warning", source=DEFAULT_SOURCE,
    )
    return card, ShownCard(uuid=card.uuid or "", alert_type="unchecked", indicator="warning",
                           summary=card.summary)


def report_cards(report: Any, drafts: Sequence[DraftOrder]) -> CardSet:
    """All cards for one safety report, most urgent first."""
    pairs = [alert_card(alert, drafts) for alert in (_get(report, "alerts") or [])]
    order = {"critical": 0, "warning": 1, "info": 2}
    pairs.sort(key=lambda pair: order[pair[0].indicator])
    extra = unchecked_card(_get(report, "unchecked") or [])
    if extra is not None:
        pairs.append(extra)
    return CardSet(cards=[c for c, _ in pairs], shown=[s for _, s in pairs])
