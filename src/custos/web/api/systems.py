"""Connected systems over HTTP: the inventory and outcomes (`systems.read`), owners (`systems.manage`), and the
manual tasks of each system's owner (`systems.tasks`, in a grant covering that system).

A system's kind, mapping and connection are the policy file's (policy as code) and have no write route here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from custos.access.enforce import enforce
from custos.access.permissions import CUSTOS_SCOPE
from custos.access.principal import Principal
from custos.systems import inventory, tasks
from custos.systems.schemas import (
    LookFor,
    OwnerUpdate,
    RunPublic,
    SystemDetailPublic,
    SystemPublic,
    TaskConfirm,
    TaskDetailPublic,
    TaskPublic,
)
from custos.web.auth import CurrentPrincipal, Require, WorkDep
from custos.web.deps import RuntimeDep


def system_scope(request: Request) -> str:
    return str(request.path_params.get("system_id", CUSTOS_SCOPE))


def RequireSomewhere(permission: str) -> Any:
    """Let through a caller holding `permission` for at least one system (a system owner's grant is scoped to
    their systems, not to Custos); what they then see is limited to those systems."""

    def require(principal: CurrentPrincipal, runtime: RuntimeDep) -> Principal:
        covered = tasks.systems_for(principal, runtime.policy)
        # Either way through the one check, so a refusal is audited and a half-finished login refused.
        return enforce(runtime, principal, permission, covered[0] if covered else CUSTOS_SCOPE)

    require.custos_permission = permission  # type: ignore[attr-defined]  # read by the route-walk test
    return Depends(require)


Reader = Annotated[Principal, Require("systems.read")]
Manager = Annotated[Principal, Require("systems.manage")]
Owner = Annotated[Principal, Require("systems.tasks", system_scope)]
AnyOwner = Annotated[Principal, RequireSomewhere("systems.tasks")]

router = APIRouter(prefix="/api/v1/systems", tags=["systems"])


@router.get("", response_model=list[SystemPublic])
def list_systems(work: WorkDep, runtime: RuntimeDep, principal: Reader) -> list[SystemPublic]:
    return inventory.inventory(work, runtime)


@router.get("/tasks", response_model=list[TaskPublic])
def my_tasks(
    work: WorkDep,
    principal: AnyOwner,
    state: Annotated[Literal["open", "done"] | None, Query()] = "open",
) -> list[TaskPublic]:
    return tasks.list_tasks(work, tasks.systems_for(principal, work.policy), state=state)


@router.get("/{system_id}", response_model=SystemDetailPublic)
def get_system(system_id: str, work: WorkDep, runtime: RuntimeDep, principal: Reader) -> SystemDetailPublic:
    return inventory.system_entry(work, runtime, system_id)


@router.put("/{system_id}/owner", response_model=SystemPublic)
def set_owner(
    system_id: str, data: OwnerUpdate, work: WorkDep, runtime: RuntimeDep, principal: Manager
) -> SystemPublic:
    inventory.set_owner(work, system_id, data.owner)
    return inventory.system_entry(work, runtime, system_id)


@router.get("/{system_id}/runs", response_model=list[RunPublic])
def list_runs(
    system_id: str,
    work: WorkDep,
    principal: Reader,
    status: Annotated[Literal["done", "failed", "waiting"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[RunPublic]:
    return inventory.recent_runs(work, system_id, status=status, limit=limit)


@router.get("/{system_id}/tasks/{task_id}", response_model=TaskDetailPublic)
def get_task(system_id: str, task_id: int, work: WorkDep, principal: Owner) -> TaskDetailPublic:
    detail = tasks.task_detail(work, system_id, task_id)
    look_for = (
        LookFor(
            emails=list(detail.keys.emails),
            phones=list(detail.keys.phones),
            external_ids=list(detail.keys.external_ids),
        )
        if detail.keys is not None
        else None
    )
    return TaskDetailPublic(**detail.task.model_dump(), look_for=look_for, note=detail.note)


@router.post("/{system_id}/tasks/{task_id}/confirm", response_model=TaskPublic)
def confirm_task(system_id: str, task_id: int, data: TaskConfirm, work: WorkDep, principal: Owner) -> TaskPublic:
    return tasks.confirm_task(work, system_id, task_id, fields=data.fields, records=data.records, note=data.note)
