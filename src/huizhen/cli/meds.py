"""``huizhen meds check|import`` and ``huizhen eval meds``: thin front ends to huizhen.safety."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from huizhen.cli.app import app, eval_app
from huizhen.errors import InputError

meds_app = typer.Typer(help="Medication safety: check a medication list, import local rules.",
                       no_args_is_help=True)
app.add_typer(meds_app, name="meds")


@meds_app.command("check")
def check_command(
    drugs: list[str] | None = typer.Argument(None, help="Drugs to check (proposed), as written: "
                                                "'warfarin 5 mg qd', 'Augmentin', '阿司匹林'."),
    patient: Path | None = typer.Option(None, "--patient", help="Patient file (FHIR bundle, "
                                           "case JSON/YAML, text) whose medications, allergies, "
                                           "conditions, eGFR, age and pregnancy are checked too."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check drugs (and a patient's own list) for interactions, allergies, duplicates,
    contraindications, renal and age dosing, pregnancy and doses."""
    from huizhen.patient.medication import parse_medication
    from huizhen.patient.model import Patient
    from huizhen.safety import check
    from huizhen.safety.render import report_text

    if not drugs and patient is None:
        raise InputError("give at least one drug or --patient FILE", field="DRUG")
    person = Patient(source="command line")
    if patient is not None:
        from huizhen.patient.parse import load_patient

        if not patient.exists():
            raise InputError("file not found", source=str(patient), field="--patient")
        person = load_patient(patient)
    proposed = []
    for i, text in enumerate(drugs or []):
        med = parse_medication(text, source="command line", field=f"DRUG[{i}]")
        med.status = "proposed"
        proposed.append(med)
    report = check(person, proposed)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo(report_text(report))


@meds_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="Interaction table to import."),
    fmt: str = typer.Option(..., "--format", help="ddinter (DDInterID_A, Drug_A, DDInterID_B, "
                            "Drug_B, Level) or csv (Drug_A, Drug_B, Level[, Management, Source])."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Load licensed or local interaction rules; they override the pack for their pairs."""
    from huizhen.safety.local import import_rules

    result = import_rules(file, fmt)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"loaded {result.loaded} rule(s) into {result.path}"
               + (f" ({result.replaced} replaced)" if result.replaced else ""))
    if result.bad_rows:
        typer.echo(f"skipped {len(result.bad_rows)} bad row(s):")
        for line in result.bad_rows:
            typer.echo(f"  {line}")


@eval_app.command("meds")
def eval_meds_command(
    reference: Path = typer.Argument(..., help="Reference CSV with Drug_A, Drug_B, Level."),
    as_json: bool = typer.Option(False, "--json", help="Print exactly the figures as JSON."),
    seed: int = typer.Option(0, help="Seed for the random pairs of the false alert rate."),
    sample: int | None = typer.Option(
        None, help="Random pairs for the false alert rate (default: as many as known pairs; "
                   "0: every pair of reference drugs absent from the reference)."),
    without: str | None = typer.Option(
        None, help="Leave one source's interaction rules out of the pack: ansm, onc or fda."),
) -> None:
    """Benchmark interaction checking against a reference list of drug pairs."""
    from huizhen.eval.meds import evaluate

    figures = evaluate(reference, seed=seed, sample=sample, without=without)
    if as_json:
        typer.echo(json.dumps(figures))
        return
    for key, value in figures.items():
        typer.echo(f"{key}: {value}")
