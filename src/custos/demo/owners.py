"""A demo installation's manual systems, handed to whoever seeds it, so their tasks have someone to do them.

The example policy names the privacy contact as the owner of its systems (an assumption until Elastx names
one per system), and a new installation has no staff account for that address: every manual task would wait
unassigned. In a demo the person trying Custos out is its first administrator, who holds the `dpo` role for
everything; the seed makes them the owner, as the admin UI would (audited), of each system whose owner cannot
do its tasks. A system with an owner who can keep it is left alone, so seeding again changes nothing.
"""

from __future__ import annotations

from custos.access.models import Staff
from custos.systems.inventory import set_owner
from custos.systems.ownership import judge, unowned_systems
from custos.work import Work


def hand_unowned_systems(work: Work, staff_id: int) -> list[str]:
    """The systems whose tasks now go to the staff member `staff_id`: those nobody could do, which they can."""
    session = work.session
    staff = session.get(Staff, staff_id)
    if staff is None:
        return []
    now = work.clock.now()
    handed = []
    for found in unowned_systems(session, work.policy, now):
        if judge(session, work.policy, found.system, staff.email, now).assigned:
            set_owner(work, found.system, staff.email)
            handed.append(found.system)
    return handed
