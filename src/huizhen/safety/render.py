"""Plain-text rendering of a SafetyReport for the terminal."""

from __future__ import annotations

from huizhen.safety.model import SafetyReport

_MARK = {"contraindicated": "!!", "major": "! ", "moderate": "~ ", "minor": ". "}


def report_text(report: SafetyReport) -> str:
    """Interrupting alerts first, each with trigger, management and source; then unchecked drugs."""
    lines: list[str] = []
    if report.checked:
        lines.append("checked: " + "; ".join(
            f"{w} = {' + '.join(ings)}" for w, ings in report.checked.items()))
    if not report.alerts:
        lines.append("no alerts")
    for a in report.alerts:
        stop = "STOP " if a.interrupt else ""
        lines.append(f"{_MARK.get(a.severity, '  ')}{stop}{a.severity.upper()} {a.type}: "
                     f"{' + '.join(a.drugs)}" + (" [local rule]" if a.local else ""))
        if a.effect:
            lines.append(f"     effect: {a.effect}")
        lines.append(f"     trigger: {a.trigger}")
        lines.append(f"     what to do: {a.management}")
        lines.append(f"     source: {a.source}" + (f" [{a.source_ref}]" if a.source_ref else ""))
        for note in a.notes:
            lines.append(f"     note: {note}")
    for name in report.unchecked:
        hint = report.suggestions.get(name) or []
        lines.append(f"?? NOT CHECKED (unknown drug): {name}"
                     + (f" - did you mean: {', '.join(hint)}?" if hint else ""))
    lines.append(f"knowledge: drug pack {report.knowledge_version}"
                 + (f"; local rules {report.local_rules}" if report.local_rules else ""))
    return "\n".join(lines)
