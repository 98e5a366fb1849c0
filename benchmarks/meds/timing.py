"""Time ``huizhen.safety.check`` on a 20-drug medication list (target: <= 5 ms per check).

    .venv/bin/python benchmarks/meds/timing.py [repeats]

Prints the median and 95th percentile of warm checks (knowledge loaded once,
as in a running server or CLI session) and the cold load time of the pack.
"""

from __future__ import annotations

import statistics
import sys
import time

from huizhen.patient.model import Allergy, Medication, Patient

DRUGS = ["warfarin", "ibuprofen 400 mg tid", "simvastatin", "clarithromycin", "metformin 1000 mg bid",
         "lisinopril", "amlodipine", "digoxin", "furosemide", "omeprazole", "sertraline", "tramadol",
         "amiodarone", "levothyroxine", "prednisone", "ciprofloxacin", "spironolactone",
         "insulin glargine", "clopidogrel", "atorvastatin"]


def main(repeats: int = 200) -> None:
    from huizhen.patient.medication import parse_medication

    start, cpu = time.perf_counter(), time.process_time()
    from huizhen.safety import check
    from huizhen.safety.checker import get_pack

    get_pack()
    load, load_cpu = time.perf_counter() - start, time.process_time() - cpu
    meds: list[Medication] = [parse_medication(d, source="bench", field=f"drug[{i}]")
                              for i, d in enumerate(DRUGS)]
    patient = Patient(age_years=72, derived={"egfr": 38}, medications=meds,
                      allergies=[Allergy(substance="penicillin")])
    report = check(patient)
    times, cpu_times = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        check(patient)
        times.append((time.perf_counter() - t) * 1000)
        cpu_times.append((time.process_time() - c) * 1000)
    times.sort()
    print(f"drugs: {len(report.checked)} checked, {len(report.unchecked)} unchecked, "
          f"{len(report.alerts)} alerts")
    print(f"pack load (new process, disk cache warm): {load * 1000:.0f} ms wall, "
          f"{load_cpu * 1000:.0f} ms CPU")
    print(f"check, 20 drugs: median {statistics.median(times):.2f} ms, "
          f"p95 {times[int(0.95 * len(times)) - 1]:.2f} ms wall over {repeats} runs; "
          f"mean CPU {statistics.mean(cpu_times):.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
