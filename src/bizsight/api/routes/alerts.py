"""Alerts: rules on any metric, their states and history; acknowledge, test (a dry run) and
manage them. Checks run as jobs after each refresh and on schedules (docs/alerts.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from bizsight.api.deps import AlertAcknowledger, AlertManager, AlertReader, Client, StateDep, WarehouseDep
from bizsight.api.schemas.alerts import (
    AlertChange,
    AlertHistory,
    AlertList,
    AlertOut,
    AlertTestOut,
    AlertTestRequest,
    NewAlert,
)
from bizsight.api.schemas.errors import ERRORS
from bizsight.services import alerts as service
from bizsight.services.alert_runs import dry_run

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=ERRORS)

AlertName = Annotated[str, Path(min_length=1, max_length=100, description="the alert's name")]


@router.get("", response_model=AlertList)
def list_alerts(user: AlertReader, state: StateDep) -> AlertList:
    """Every alert with its state, last value, last and next check, and the error of a check
    that could not judge it."""
    return AlertList.model_validate({"alerts": service.list_rules(state.store)})


@router.post("", status_code=201, response_model=AlertOut)
def add_alert(body: NewAlert, user: AlertManager, state: StateDep, client: Client) -> AlertOut:
    """A new alert: the rule (validated against the catalogue), its recipients (and escalation
    recipients), and optionally its own timetable."""
    added = service.add_rule(
        state.project,
        state.store,
        body.definition,
        recipients=body.recipients,
        escalation=body.escalation,
        cron=body.cron,
        actor=user.username,
        owner_id=user.user_id,
        client=client,
    )
    if state.scheduler is not None and body.cron:
        state.scheduler.wake()
    return AlertOut.model_validate(added)


@router.get("/{name}", response_model=AlertOut)
def get_alert(name: AlertName, user: AlertReader, state: StateDep) -> AlertOut:
    return AlertOut.model_validate(service.get_rule(state.store, name))


@router.patch("/{name}", response_model=AlertOut)
def change_alert(
    name: AlertName, body: AlertChange, user: AlertManager, state: StateDep, client: Client
) -> AlertOut:
    """Pause or resume an alert (a paused alert is not checked; its state is kept)."""
    changed = service.set_enabled(state.store, name, body.enabled, actor=user.username, client=client)
    return AlertOut.model_validate(changed)


@router.delete("/{name}", status_code=204)
def remove_alert(name: AlertName, user: AlertManager, state: StateDep, client: Client) -> None:
    """Remove an alert, its own schedule, its history and its delivery log."""
    service.remove_rule(state.store, name, actor=user.username, client=client)


@router.post("/{name}/ack", response_model=AlertOut)
def acknowledge(name: AlertName, user: AlertAcknowledger, state: StateDep, client: Client) -> AlertOut:
    """Acknowledge a triggered alert: no reminders or escalation until it recovers."""
    return AlertOut.model_validate(service.acknowledge(state.store, name, user.username, client=client))


@router.post("/{name}/test", response_model=AlertTestOut)
def test_alert(
    name: AlertName,
    user: AlertManager,
    state: StateDep,
    wh: WarehouseDep,
    body: AlertTestRequest | None = None,
) -> AlertTestOut:
    """Check the alert now: what it sees and what it would send, storing and sending nothing;
    with ``send``, a message marked as a test goes to its recipients."""
    seen = dry_run(state.project, wh, state.store, name, send=bool(body and body.send))
    return AlertTestOut.model_validate(seen)


@router.get("/{name}/history", response_model=AlertHistory)
def history(
    name: AlertName,
    user: AlertReader,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AlertHistory:
    """What the alert said and to whom, newest first: each event with its deliveries."""
    return AlertHistory.model_validate({"events": service.history(state.store, name, limit=limit)})
