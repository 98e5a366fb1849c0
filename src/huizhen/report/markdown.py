"""Render a ConsultReport as Markdown (for notes, tickets and the terminal)."""

from __future__ import annotations

from huizhen.report.labels import citation_place, t
from huizhen.report.model import ConsultReport, DifferentialEntry


def _pct(p: float) -> str:
    return f"{100 * p:.1f}%" if p >= 0.001 else "<0.1%"


def _name(entry: DifferentialEntry, lang: str) -> str:
    name = f"{entry.name_zh} ({entry.name})" if (lang == "zh" and entry.name_zh) else entry.name
    code = entry.icd10 or (None if entry.id.startswith("ddxplus:") else entry.id)
    return f"{name} [{code}]" if code else name


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: ConsultReport) -> str:
    lang = report.lang
    out: list[str] = [f"# {t('title', lang)}", "", f"> {report.disclaimer}", ""]
    p = report.patient
    summary = [f"{t('age', lang)}: {p.get('age') or '?'}",
               f"{t('sex', lang)}: {t(p.get('sex') or 'unknown', lang)}"]
    out += [f"## {t('patient', lang)}", "", "; ".join(summary), ""]
    for key in ("findings", "excluded", "medications", "allergies"):
        items = p.get(key) or []
        if items:
            out.append(f"- **{t(key, lang)}**: {', '.join(items)}")
    out.append("")

    out += [f"## {t('differential', lang)}", ""]
    if not report.differential:
        out += [t("none", lang), ""]
    for i, d in enumerate(report.differential, 1):
        flag = f" — **{t('cannot_miss', lang)}**" if d.cannot_miss else ""
        out.append(
            f"{i}. **{_md_escape(_name(d, lang))}** {_pct(d.probability)}"
            f" ({t('engine', lang)}: {', '.join(t(e, lang) for e in d.engines)}){flag}"
        )
        if d.evidence_for:
            out.append(f"   - {t('for', lang)}: " + "; ".join(_md_escape(e.label) for e in d.evidence_for))
        if d.evidence_against:
            out.append(
                f"   - {t('against', lang)}: " + "; ".join(_md_escape(e.label) for e in d.evidence_against)
            )
    out.append("")

    out += [f"## {t('questions', lang)}", ""]
    if not report.questions:
        out += [t("none", lang)]
    for q in report.questions:
        flag = f" ({t('red_flag', lang)})" if q.red_flag else ""
        out.append(f"- {_md_escape(q.text)}{flag}")
    out.append("")

    out += [f"## {t('treatments', lang)}", ""]
    if not report.treatments:
        out += [t("none", lang)]
    for o in report.treatments:
        cite = "".join(f"[{n}]" for n in o.citations)
        dose = f" — {o.dose}" if o.dose else ""
        src = f" ({t('source', lang)}: {o.source})" if o.source else ""
        out.append(f"- *{_md_escape(o.diagnosis)}*, {t(o.line, lang)}: {_md_escape(o.text)}{dose}{src}{cite}")
        if not o.safe:
            out.append(f"  - **{t('unsafe', lang)}**")
        for a in o.alerts:
            out.append(f"  - {t(a.severity, lang)}: {_md_escape(a.message)}")
    out.append("")

    out += [f"## {t('alerts', lang)}", ""]
    if not report.alerts:
        out += [t("no_alerts", lang)]
    for a in report.alerts:
        mark = "⚠ " if a.interrupt else ""
        src = f" ({t('source', lang)}: {a.source})" if a.source else ""
        out.append(f"- {mark}**{t(a.severity, lang)}** {t(a.type, lang)}: {_md_escape(a.message)}{src}")
        if a.management:
            out.append(f"  - {_md_escape(a.management)}")
    if report.unchecked_drugs:
        out.append(f"- **{t('unchecked', lang)}**: {', '.join(report.unchecked_drugs)}")
    out.append("")

    if report.citations:
        out += [f"## {t('citations', lang)}", ""]
        for c in report.citations:
            where = f" — {c.url}" if c.url else ""
            lic = f" ({c.license})" if c.license else ""
            out.append(f"{c.n}. {_md_escape(citation_place(c))}{where}{lic}")
            out.append(f"   > {_md_escape(c.snippet)}")
        out.append("")

    if report.notes:
        out += [f"## {t('notes', lang)}", ""] + [f"- {n}" for n in report.notes] + [""]
    out += [f"## {t('knowledge', lang)}", ""]
    out += [f"- {k}: {v}" for k, v in sorted(report.knowledge.items())]
    return "\n".join(out).rstrip() + "\n"
