"""Each kind of domain error maps to one HTTP status, in `custos.web.errors` only."""

import pytest

from custos.errors import Conflict, CustosError, InvalidInput, NotFound, SystemFailed
from custos.web.errors import status_for


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("no person p-1"), 404),
        (InvalidInput("bad date"), 422),
        (Conflict("already closed"), 409),
        # The organisation's own database failed behind Custos: a bad gateway, not a bad request.
        (SystemFailed("crm: connection refused", system="crm"), 502),
        (CustosError("something else"), 400),
    ],
)
def test_status_for(error: CustosError, status: int) -> None:
    assert status_for(error) == status
