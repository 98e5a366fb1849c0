"""The Typer applications that command modules attach to."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="huizhen",
    help="会诊 huizhen — clinical decision support. It supports, and does not replace, "
    "the doctor's judgement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Benchmarks: run an engine over a data set and print its figures.",
                       no_args_is_help=True)
kb_app = typer.Typer(help="The knowledge base: ingest, list, remove, search.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.add_typer(kb_app, name="kb")


@app.command("version")
def version() -> None:
    """Print the huizhen version."""
    from huizhen import __version__

    typer.echo(f"huizhen {__version__}")
