"""Personal data: erase a person's (a job), and the list of erasures (docs/privacy.md)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from bizsight.api.deps import Client, PrivacyUser, StateDep, WarehouseDep
from bizsight.api.job_schemas import JobOut
from bizsight.api.schemas.common import Answer, UtcTimestamp
from bizsight.api.schemas.errors import ERRORS
from bizsight.services import job_admin, privacy

router = APIRouter(prefix="/privacy", tags=["privacy"], responses=ERRORS)


class EraseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customers: list[str] = Field(min_length=1, max_length=10_000, description="customer ids")
    reason: str = Field(default="request", max_length=200, description="why, for the record")


class ErasureOut(Answer):
    customer_id: str
    erased_at: UtcTimestamp
    reason: str | None
    erased_by: str | None


class ErasureList(Answer):
    erasures: list[ErasureOut]


@router.post("/erase", status_code=202, response_model=JobOut)
def erase(body: EraseRequest, user: PrivacyUser, state: StateDep, client: Client) -> JobOut:
    """Erase these customers' names, e-mails and review texts everywhere (raw, core, marts,
    quarantine) in a job; their anonymous facts stay, and later loads cannot bring the data back."""
    params = {"customers": body.customers, "reason": body.reason, "by": user.username}
    job = job_admin.submit(
        state.store, state.runner, "erase", params, actor=user.username, origin="api", client=client
    )
    return JobOut.model_validate(job)


@router.get("/erasures", response_model=ErasureList)
def erasures(user: PrivacyUser, wh: WarehouseDep) -> ErasureList:
    """Customers whose personal data were erased: when, why and by whom."""
    return ErasureList.model_validate({"erasures": privacy.erased(wh)})
