"""``huizhen demo``: the main job on the bundled example patients, for a first look.

Three consults: a common case written as a Chinese note, a FHIR bundle of an
older patient on risky medications, and a published rare-disease phenopacket.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.rule import Rule

from huizhen.cli.app import app

#: (title, path relative to the repository) of each bundled example.
EXAMPLES: list[tuple[str, Path]] = [
    ("Common case, Chinese free-text note", Path("examples/consult/zh_fever_cough.txt")),
    ("FHIR R4 bundle: older patient on risky medications", Path("examples/consult/elderly_risky_meds.fhir.json")),
    ("Rare disease: published KCNT1 case (phenopacket, phenotypes only)",
     Path("examples/rare/KCNT1-PMID_23086397_Patient_4.json")),
]


def example_path(rel: Path) -> Path:
    """An example beside the package in a source checkout, else from the working directory."""
    for root in (Path(__file__).resolve().parents[3], Path.cwd()):
        if (root / rel).is_file():
            return root / rel
    from huizhen.errors import NotFoundError

    raise NotFoundError("example not found (run huizhen demo from the repository)", source=str(rel))


@app.command("demo")
def demo(
    top: Annotated[int, typer.Option("--top", min=1, help="Entries in each differential.")] = 5,
    kb: Annotated[str | None, typer.Option(help="Knowledge base to cite: a file or postgresql:// URL (default: the user's).")] = None,
) -> None:
    """Run the consult on the bundled example patients."""
    from huizhen.consult import consult, load_knowledge
    from huizhen.patient.parse import load_patient
    from huizhen.report import render_markdown

    console = Console()
    know = load_knowledge()
    for title, rel in EXAMPLES:
        path = example_path(rel)
        console.print(Rule(f"[bold]huizhen demo[/bold] — {title}"))
        console.print(f"input: {rel}", highlight=False)
        report = consult(load_patient(path), knowledge=know, top=top, kb=kb)
        console.print(Markdown(render_markdown(report)))
