"""huizhen (会诊): offline-first clinical decision support.

huizhen supports the doctor's judgement; it never replaces it.
"""

from __future__ import annotations

__version__ = "0.1.0"
