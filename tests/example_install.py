"""The example installation as `make run` leaves it: its systems handed to the first administrator, as
`custos demo seed` does, so every manual task has someone who can do it."""

from __future__ import annotations

from sqlalchemy import select

from custos.access.models import Staff
from custos.actor import Actor
from custos.demo.owners import hand_unowned_systems
from custos.runtime import Runtime
from custos.setup import FIRST_ADMIN_EMAIL


def own_every_system(runtime: Runtime) -> None:
    with runtime.work(Actor.system("test")) as work:
        admin = work.session.scalar(select(Staff.id).where(Staff.email == FIRST_ADMIN_EMAIL))
        assert admin is not None
        hand_unowned_systems(work, admin)
