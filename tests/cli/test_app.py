from __future__ import annotations

import pytest

from huizhen import __version__
from huizhen.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["version"])
    assert exc.value.code in (0, None)
    assert capsys.readouterr().out == f"huizhen {__version__}\n"


def test_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    assert "No such command" in capsys.readouterr().err
