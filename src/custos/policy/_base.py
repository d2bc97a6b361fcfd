"""The base every policy model shares: frozen, and strict about keys, so a typo is an error, not a default."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from custos.policy.durations import Duration, require_date_only


class PolicyModel(BaseModel):
    # Dumps use the file's own keys (`from`, `while`), so a dumped policy reads back as the same policy.
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True, str_strip_whitespace=True
    )


# Ids are referenced from other sections and from the register, so they are restricted to a safe alphabet.
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
CategoryId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$")]
Text = Annotated[str, StringConstraints(min_length=1)]

# A period counted on dates: retention, consent validity.
DatePeriod = Annotated[Duration, AfterValidator(require_date_only)]
