"""The ``huizhen`` command line: thin commands over the library.

Each command group lives in its own module and registers itself on the Typer
apps defined here; ``main`` turns every ``HuizhenError`` into one clear line
on stderr and its exit status, never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

from huizhen.cli.app import app

#: Modules that register commands; each is imported for its side effect.
_COMMAND_MODULES: list[str] = [
    "huizhen.cli.serve",
    "huizhen.cli.intake",
    "huizhen.cli.common",
    "huizhen.cli.meds",
    "huizhen.cli.kb",
    "huizhen.cli.rare",
    "huizhen.cli.demo",
    "huizhen.cli.consult",
    "huizhen.cli.llm",
    "huizhen.cli.tenants",
]


def _register() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(name)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``huizhen`` script."""
    from huizhen.errors import HuizhenError

    _register()
    try:
        # Standalone mode: Typer handles usage errors (exit 2) and calls sys.exit
        # itself; our own errors propagate out of it and are printed here.
        app(args=argv, prog_name="huizhen")
    except HuizhenError as err:
        typer.echo(f"huizhen: {err.render()}", err=True)
        sys.exit(err.exit_code)
