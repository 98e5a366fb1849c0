"""Render a ConsultReport as one self-contained, accessible HTML page."""

from __future__ import annotations

from html import escape

from huizhen.report.labels import citation_place, t
from huizhen.report.model import ConsultReport

_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;
color:#1a1a1a;line-height:1.45}
.disclaimer{border-left:4px solid #555;padding:.5rem 1rem;background:#f3f3f3}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ccc;padding:.3rem;text-align:left;
vertical-align:top}
.cannot-miss{color:#8b0000;font-weight:bold}.interrupt{color:#8b0000;font-weight:bold}
.unsafe{color:#8b0000}blockquote{margin:.2rem 0 .6rem 1rem;color:#333}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def render_html(report: ConsultReport) -> str:
    lang = report.lang
    parts: list[str] = [
        "<!doctype html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{_e(t('title', lang))}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(t('title', lang))}</h1>",
        f'<p class="disclaimer" role="note">{_e(report.disclaimer)}</p>',
    ]
    p = report.patient
    parts.append(f"<h2>{_e(t('patient', lang))}</h2><ul>")
    parts.append(f"<li>{_e(t('age', lang))}: {_e(p.get('age') or '?')}; "
                 f"{_e(t('sex', lang))}: {_e(t(p.get('sex') or 'unknown', lang))}</li>")
    for key in ("findings", "excluded", "medications", "allergies"):
        items = p.get(key) or []
        if items:
            parts.append(f"<li>{_e(t(key, lang))}: {_e(', '.join(items))}</li>")
    parts.append("</ul>")

    parts.append(f"<h2>{_e(t('differential', lang))}</h2>")
    if report.differential:
        parts.append(
            f"<table><thead><tr><th>#</th><th>{_e(t('differential', lang))}</th>"
            f"<th>{_e(t('probability', lang))}</th><th>{_e(t('engine', lang))}</th>"
            f"<th>{_e(t('for', lang))}</th><th>{_e(t('against', lang))}</th></tr></thead><tbody>"
        )
        for i, d in enumerate(report.differential, 1):
            name = d.name_zh if (lang == "zh" and d.name_zh) else d.name
            flag = (f' <span class="cannot-miss">{_e(t("cannot_miss", lang))}</span>'
                    if d.cannot_miss else "")
            parts.append(
                f"<tr><td>{i}</td><td>{_e(name)}{flag}</td><td>{100 * d.probability:.1f}%</td>"
                f"<td>{_e(', '.join(t(e, lang) for e in d.engines))}</td>"
                f"<td>{_e('; '.join(e.label for e in d.evidence_for))}</td>"
                f"<td>{_e('; '.join(e.label for e in d.evidence_against))}</td></tr>"
            )
        parts.append("</tbody></table>")
    else:
        parts.append(f"<p>{_e(t('none', lang))}</p>")

    parts.append(f"<h2>{_e(t('questions', lang))}</h2><ul>")
    for q in report.questions:
        flag = f' <span class="cannot-miss">{_e(t("red_flag", lang))}</span>' if q.red_flag else ""
        parts.append(f"<li>{_e(q.text)}{flag}</li>")
    parts.append("</ul>")

    parts.append(f"<h2>{_e(t('treatments', lang))}</h2><ul>")
    for o in report.treatments:
        unsafe = f' <span class="unsafe">{_e(t("unsafe", lang))}</span>' if not o.safe else ""
        cites = "".join(f'<a href="#cite-{n}">[{n}]</a>' for n in o.citations)
        dose = f" — {_e(o.dose)}" if o.dose else ""
        src = f" <small>({_e(t('source', lang))}: {_e(o.source)})</small>" if o.source else ""
        parts.append(f"<li><em>{_e(o.diagnosis)}</em>, {_e(t(o.line, lang))}: {_e(o.text)}{dose}{src}{cites}{unsafe}")
        if o.alerts:
            parts.append("<ul>" + "".join(f"<li>{_e(t(a.severity, lang))}: {_e(a.message)}</li>"
                                    for a in o.alerts)
                         + "</ul>")
        parts.append("</li>")
    parts.append("</ul>")

    parts.append(f"<h2>{_e(t('alerts', lang))}</h2>")
    if report.alerts:
        parts.append("<ul>")
        for a in report.alerts:
            cls = ' class="interrupt"' if a.interrupt else ""
            parts.append(f"<li><span{cls}>{_e(t(a.severity, lang))}</span> {_e(t(a.type, lang))}: "
                         f"{_e(a.message)}"
                         + (f"<br><small>{_e(a.management)}</small>" if a.management else "")
                         + (f"<br><small>{_e(a.source)}</small>" if a.source else "") + "</li>")
        parts.append("</ul>")
    else:
        parts.append(f"<p>{_e(t('no_alerts', lang))}</p>")
    if report.unchecked_drugs:
        parts.append(f"<p><strong>{_e(t('unchecked', lang))}</strong>: "
                     f"{_e(', '.join(report.unchecked_drugs))}</p>")

    if report.citations:
        parts.append(f"<h2>{_e(t('citations', lang))}</h2><ol>")
        for c in report.citations:
            link = f' <a href="{_e(c.url)}">{_e(c.url)}</a>' if c.url else ""
            parts.append(f'<li id="cite-{c.n}">{_e(citation_place(c))}{link}'
                         f"<blockquote>{_e(c.snippet)}</blockquote></li>")
        parts.append("</ol>")
    if report.notes:
        parts.append(f"<h2>{_e(t('notes', lang))}</h2><ul>"
                     + "".join(f"<li>{_e(n)}</li>" for n in report.notes) + "</ul>")
    parts.append(f"<h2>{_e(t('knowledge', lang))}</h2><ul>"
                 + "".join(f"<li>{_e(k)}: {_e(v)}</li>" for k, v in sorted(report.knowledge.items()))
                 + "</ul></body></html>")
    return "\n".join(parts) + "\n"
