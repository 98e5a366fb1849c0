"""REST: the medication safety check for hospital systems (no EHR hook needed).

One call over ``huizhen.safety.check``.  Every alert gets an ``alert_id``,
recorded in the audit log with what was shown, so the doctor's decision can
come back through ``POST /v1/feedback`` and count in the override rates.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Depends

from huizhen.api import cards as cardlib
from huizhen.api.security import api_client
from huizhen.api.state import Service, service
from huizhen.api.wire.rest import MedicationCheckIn
from huizhen.audit import ShownCard
from huizhen.auth import Principal
from huizhen.patient.model import Patient

router = APIRouter(prefix="/v1", tags=["REST"])


def read_body_patient(body: MedicationCheckIn) -> Patient:
    """The patient of a medication check: a JSON patient (FHIR checks enforced) or a note."""
    from huizhen.patient.parse import read_patient

    if body.patient is not None:
        return read_patient(json.dumps(body.patient, ensure_ascii=False), name="patient",
                            strict=True)
    return read_patient(body.text or "", name="text", strict=True)


@router.post("/medication-check", summary="Check a patient's medications and proposed drugs")
def medication_check(body: MedicationCheckIn, principal: Principal = Depends(api_client),
                     svc: Service = Depends(service)) -> dict[str, Any]:
    from huizhen import safety

    patient = read_body_patient(body)
    report = safety.check(patient, proposed=body.proposed)
    result = report.to_dict()
    shown = []
    for alert, out in zip(report.alerts, result["alerts"], strict=True):
        out["alert_id"] = str(uuid.uuid4())
        shown.append(ShownCard(uuid=out["alert_id"], alert_type=alert.type,
                               indicator=cardlib.indicator(alert), summary=cardlib.summary(alert)))
    knowledge = {"drugs": report.knowledge_version}
    if report.local_rules:
        knowledge["local_rules"] = report.local_rules
    svc.record(principal, "medication-check", body.model_dump(mode="json"),
               patient_id=body.patient_id or patient.id, knowledge=knowledge,
               shown=[{"alert_id": s.uuid, "alert_type": s.alert_type, "indicator": s.indicator,
                       "summary": s.summary} for s in shown] +
                     [{"unchecked": name} for name in report.unchecked],
               cards=shown)
    return result
