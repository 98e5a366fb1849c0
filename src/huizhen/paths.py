"""Where huizhen keeps its packaged data and its per-user caches."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

#: Data shipped inside the package (knowledge packs, vendored translations).
PACKAGE_DATA = Path(__file__).resolve().parent / "data"


def cache_dir() -> Path:
    """Per-user cache directory (``HUIZHEN_CACHE_DIR`` overrides it)."""
    override = os.environ.get("HUIZHEN_CACHE_DIR")
    path = Path(override) if override else Path(platformdirs.user_cache_dir("huizhen"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Per-user data directory, home of the default knowledge base (``HUIZHEN_DATA_DIR``)."""
    override = os.environ.get("HUIZHEN_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir("huizhen"))
    path.mkdir(parents=True, exist_ok=True)
    return path
