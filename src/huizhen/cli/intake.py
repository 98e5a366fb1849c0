"""``huizhen intake`` and ``huizhen eval intake`` / ``huizhen eval fhir``: thin commands."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from huizhen.cli.app import app, eval_app

_console = Console()


@app.command("intake")
def intake(
    source: str = typer.Argument(..., help="A file (FHIR bundle, phenopacket, case JSON/YAML, "
                                 "note) or the text of a note."),
    as_json: bool = typer.Option(False, "--json", help="Print the patient as JSON."),
    strict: bool = typer.Option(False, "--strict", help="Fail on the first FHIR resource that "
                                "fails a check instead of listing it."),
    lang: str = typer.Option(None, "--lang", help="Language of free text: zh or en."),
) -> None:
    """Read a patient from any supported input and show what was understood."""
    from huizhen.patient.parse import load_patient

    patient = load_patient(source, strict=strict, lang=lang)
    if as_json:
        typer.echo(json.dumps(patient.to_dict(), ensure_ascii=False, indent=1))
        return
    head = [f"sex {patient.sex.value}"]
    if patient.age_years is not None:
        head.append(f"age {patient.age_years:g}")
    if patient.pregnant:
        head.append("pregnant" + (f" {patient.gestational_weeks:g} wk"
                                  if patient.gestational_weeks else ""))
    head += [f"{k} {v:g}" for k, v in patient.derived.items() if k != "age_years"]
    _console.print(f"[bold]{escape(patient.id or patient.source or '')}[/bold]: "
                   + escape(", ".join(head)))
    if patient.findings:
        t = Table("finding", "code", "status", "from", title="Findings")
        for f in patient.findings:
            status = ("present" if f.present else "excluded") + (
                f" ({f.certainty})" if f.certainty != "confirmed" else "")
            where = f.source.text if f.source and f.source.text else (
                f.source.pointer if f.source else "")
            t.add_row(escape(f.label), str(f.code) if f.code else "", status,
                      escape(f"{f.origin}: {where}"))
        _console.print(t)
    if patient.measurements:
        t = Table("measurement", "value", "unit", "time", title="Vitals and labs")
        shown = patient.measurements[-40:]
        for m in shown:
            value = f"{m.value:g}" if m.value is not None else (m.text or str(m.components))
            t.add_row(escape(m.name), escape(value), escape(m.unit or ""), m.time or "")
        if len(patient.measurements) > len(shown):
            t.caption = f"last {len(shown)} of {len(patient.measurements)}"
        _console.print(t)
    for title, rows in (("Conditions", [(c.label, str(c.code or ""), c.status)
                                        for c in patient.conditions]),
                        ("Medications", [(m.written, ", ".join(i.name for i in m.ingredients),
                                          m.status) for m in patient.medications]),
                        ("Allergies", [(a.substance, a.reaction or "", a.status)
                                       for a in patient.allergies])):
        if rows:
            t = Table(title=title, show_header=False)
            for row in rows:
                t.add_row(*(escape(x) for x in row))
            _console.print(t)
    for u in patient.unparsed:
        line = u.reason if u.reason.startswith(u.what) else f"{u.what}: {u.reason}"
        _console.print(f"[yellow]not understood[/yellow] {escape(line)}")


@eval_app.command("intake")
def eval_intake(
    notes: Path = typer.Argument(..., help="JSONL: text, lang, present, excluded per line."),
    as_json: bool = typer.Option(False, "--json", help="Print exactly the score keys as JSON."),
    lang: str = typer.Option(None, "--lang", help="Score only the notes of this language."),
    misses: bool = typer.Option(False, "--misses", help="List the misses per note."),
) -> None:
    """Score free-text extraction against annotated notes (document-level HPO sets)."""
    from huizhen.eval.intake import KEYS, evaluate_notes, lenient_scores, negation_accuracy

    scores, results = evaluate_notes(notes, lang=lang)
    if as_json:
        typer.echo(json.dumps({k: scores[k] for k in KEYS}))
        return
    t = Table("metric", "value", title=f"Intake on {notes.name}" + (f" ({lang})" if lang else ""))
    for k in KEYS:
        t.add_row(k, str(scores[k]))
    t.add_row("negation accuracy", str(negation_accuracy(results, notes, lang=lang)))
    lp, lr = lenient_scores(results)
    t.add_row("precision, ancestor/descendant counts", str(lp))
    t.add_row("recall, ancestor/descendant counts", str(lr))
    _console.print(t)
    if misses:
        for r in results:
            parts = [f"{name} {ids}" for name, ids in (
                ("missed", r.missed), ("spurious", r.spurious), ("missed-excluded",
                                                                 r.missed_excluded),
                ("spurious-excluded", r.spurious_excluded), ("wrong-polarity", r.negation_errors))
                if ids]
            if parts:
                typer.echo(f"{r.id}: " + "; ".join(parts))


@eval_app.command("fhir")
def eval_fhir(
    folder: Path = typer.Argument(..., help="A folder of FHIR R4 Bundle *.json files."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Parse every bundle in a folder; count resources parsed, rejected and skipped per type."""
    from huizhen.eval.intake import evaluate_fhir

    run = evaluate_fhir(folder).to_dict()
    if as_json:
        typer.echo(json.dumps(run))
        return
    t = Table("resource type", "parsed", "rejected", "skipped",
              title=f"{run['files']} bundles, {run['megabytes']} MB, {run['ms_per_mb']} ms/MB "
                    f"(CPU {run['cpu_ms_per_mb']}), slowest {run['max_ms']} ms")
    for rt in sorted(set(run["parsed"]) | set(run["rejected"]) | set(run["skipped"])):
        t.add_row(rt, str(run["parsed"].get(rt, 0)), str(run["rejected"].get(rt, 0)),
                  str(run["skipped"].get(rt, 0)))
    _console.print(t)
    for reason, n in run["reasons"].items():
        typer.echo(f"{n} × {reason}")
