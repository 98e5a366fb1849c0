"""``huizhen demo``: the main job on a bundled example, for a first look."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from huizhen.cli.app import app

#: The bundled example: a published KCNT1 case from phenopacket-store (BSD-3-Clause).
EXAMPLE = Path("examples") / "rare" / "KCNT1-PMID_23086397_Patient_4.json"


def example_path() -> Path:
    """The example case, beside the package in a source checkout, else from the cwd."""
    for root in (Path(__file__).resolve().parents[3], Path.cwd()):
        if (root / EXAMPLE).is_file():
            return root / EXAMPLE
    raise typer.BadParameter(f"example case {EXAMPLE} not found (run from the repository)")


@app.command("demo")
def demo(top: int = typer.Option(5, "--top", min=1)) -> None:
    """Rank rare diseases for a bundled example phenopacket."""
    from huizhen.cli.rare import print_result, rank_case

    case = example_path()
    console = Console()
    console.print(f"[bold]huizhen demo[/bold]: rare-disease ranking for {case.name} "
                  "(phenotypic features, sex and onset only)", highlight=False)
    print_result(rank_case(case, top, None), console)
