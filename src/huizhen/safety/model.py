"""What the safety checker returns: alerts, the drugs it could not check, provenance."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from huizhen.knowledge.drugs.pack import RANK

#: Alert types, one per rule module.
ALERT_TYPES = ("interaction", "allergy", "duplicate", "condition", "renal", "age", "pregnancy",
               "lactation", "dose")


@dataclass(slots=True)
class Alert:
    """One problem with the medication list, explained and sourced.

    ``interrupt`` is true only for contraindicated and major problems, and never
    for a pair on the ONC non-interruptive list: most alerts should inform, not
    stop, the prescriber (alert fatigue is itself a safety risk).
    """

    type: str
    severity: str  # contraindicated | major | moderate | minor
    interrupt: bool
    drugs: list[str]  # as written on the list
    ingredients: list[str]  # the ingredients that triggered it
    trigger: str  # the patient fact or the other drug
    effect: str
    management: str
    source: str
    source_ref: str = ""
    local: bool = False  # from a hospital's imported rules
    notes: list[str] = field(default_factory=list)
    #: For a dose above the labelled maximum: that maximum as a UCUM quantity
    #: (``{"value": 3200.0, "unit": "mg/d", "system": "http://unitsofmeasure.org", "code": "mg/d"}``),
    #: so a front end can propose a corrected order.  None for every other alert (renal bands in
    #: the pack say "reduce" or "avoid" without a number).
    max_daily_dose: dict[str, Any] | None = None

    @property
    def rank(self) -> int:
        return RANK.get(self.severity, 0)

    def key(self) -> tuple[str, tuple[str, ...], str]:
        return (self.type, tuple(sorted(self.drugs)), self.trigger)


@dataclass(slots=True)
class SafetyReport:
    """All alerts, most severe first, plus the drugs that could not be checked."""

    alerts: list[Alert]
    unchecked: list[str]
    suggestions: dict[str, list[str]]
    checked: dict[str, list[str]]  # written name -> ingredient names
    knowledge_version: str
    local_rules: str | None = None

    @property
    def interrupting(self) -> list[Alert]:
        return [a for a in self.alerts if a.interrupt]

    def to_dict(self) -> dict[str, Any]:
        return {
            "alerts": [_alert_dict(a) for a in self.alerts],
            "unchecked": list(self.unchecked),
            "suggestions": dict(self.suggestions),
            "checked": dict(self.checked),
            "knowledge_version": self.knowledge_version,
            "local_rules": self.local_rules,
        }


def _alert_dict(alert: Alert) -> dict[str, Any]:
    """JSON-ready alert; ``max_daily_dose`` appears only on the alerts that carry one."""
    out = asdict(alert)
    if out["max_daily_dose"] is None:
        del out["max_daily_dose"]
    return out
