"""``huizhen consult``: the whole consult for one patient, in the format asked for."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from huizhen.cli.app import app


@app.command("consult")
def consult_cmd(
    patient: Annotated[str, typer.Argument(help="Patient file (FHIR bundle, phenopacket, case JSON/YAML, "
                                                "text note) or the note itself in quotes.")],
    kb: Annotated[str | None, typer.Option(help="Knowledge base: a file or postgresql:// URL (default: the user's).")] = None,
    tenant: Annotated[str | None, typer.Option(help="Hospital tenant whose documents may be cited.")] = None,
    propose: Annotated[list[str] | None, typer.Option(help="A drug you plan to prescribe (repeatable); "
                                                               "it is checked with the patient's own.")] = None,
    lang: Annotated[str | None, typer.Option(help="Report language: zh or en (default: the note's).")] = None,
    top: Annotated[int, typer.Option(min=1, max=50, help="Entries in the differential.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    as_md: Annotated[bool, typer.Option("--md", help="Print the report as Markdown.")] = False,
    as_html: Annotated[bool, typer.Option("--html", help="Print the report as one HTML page.")] = False,
) -> None:
    """Differential with evidence, next questions, treatment options, medication alerts and sources."""
    from huizhen.consult import consult
    from huizhen.errors import InputError
    from huizhen.patient.parse import load_patient
    from huizhen.report import render_html, render_markdown

    if sum([as_json, as_md, as_html]) > 1:
        raise InputError("choose one output format", field="--json/--md/--html", value="several")
    if lang not in (None, "zh", "en"):
        raise InputError("language must be zh or en", field="--lang", value=lang)
    report = consult(load_patient(patient), tenant=tenant, lang=lang, proposed=propose or [], top=top, kb=kb)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    elif as_html:
        typer.echo(render_html(report), nl=False)
    elif as_md:
        typer.echo(render_markdown(report), nl=False)
    else:
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(render_markdown(report)))
