"""Vocabulary coverage and alerts on the Synthea bundles' medication lists.

    .venv/bin/python benchmarks/meds/synthea_coverage.py ../shared/data/synthea-fhir-r4

For every bundle: every distinct medication name written in a MedicationRequest is
normalised (recognised or not), and the active list is checked.
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

from huizhen.knowledge.drugs import load_vocabulary
from huizhen.patient.model import Patient
from huizhen.patient.parse import load_patient
from huizhen.safety import check


def main(folder: Path) -> None:
    vocab = load_vocabulary()
    check(Patient())  # load the pack first: the timing below is of the checks alone
    names: dict[str, bool] = {}
    alerts: collections.Counter[tuple[str, str]] = collections.Counter()
    patients = interrupting = 0
    elapsed = 0.0
    for path in sorted(folder.glob("*.json")):
        patient = load_patient(path)
        patients += 1
        for med in patient.medications:
            names[med.written] = bool(vocab.normalise(med.written))
        start = time.perf_counter()
        report = check(patient)
        elapsed += time.perf_counter() - start
        interrupting += bool(report.interrupting)
        alerts.update((a.type, a.severity) for a in report.alerts)
    unknown = sorted(n for n, ok in names.items() if not ok)
    print(f"bundles: {patients}; distinct medication names: {len(names)}; "
          f"recognised: {len(names) - len(unknown)}; not recognised: {unknown}")
    print(f"patients with an interrupting alert: {interrupting}")
    print("alerts by type and severity: " + ", ".join(f"{t}/{s} {n}" for (t, s), n in sorted(alerts.items())))
    print(f"check time, all {patients} patients: {elapsed * 1000:.1f} ms")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
