"""Run the ``huizhen`` command line in-process, as the CLI tests do."""

from __future__ import annotations

import pytest

from huizhen.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``huizhen ARGV`` (the CLI always exits)."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err
