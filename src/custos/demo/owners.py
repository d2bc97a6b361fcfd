"""A demo installation's manual systems, handed to whoever seeds it, so their tasks have someone to do them.

The example policy names the privacy contact as the owner of its systems (an assumption until Elastx names
one per system), and a new installation has no staff account for that address: every manual task would wait
unassigned. In a demo the person trying Custos out is its first administrator, who holds the `dpo` role for
everything; the seed makes them the owner, as the admin UI would (audited), of each system whose owner cannot
do its tasks. A system with an owner who can keep it is left alone, so seeding again changes nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from custos.access.models import Staff
from custos.actor import Actor
from custos.clock import Clock
from custos.policy import Policy
from custos.systems.inventory import set_owner
from custos.systems.ownership import judge, unowned_systems


def hand_unowned_systems(session: Session, clock: Clock, actor: Actor, policy: Policy, staff_id: int) -> list[str]:
    """The systems whose tasks now go to the staff member `staff_id`: those nobody could do, which they can."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        return []
    now = clock.now()
    handed = []
    for found in unowned_systems(session, policy, now):
        if judge(session, policy, found.system, staff.email, now).assigned:
            set_owner(session, clock, actor, policy, found.system, staff.email)
            handed.append(found.system)
    return handed
