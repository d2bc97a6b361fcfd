"""The cookie inventory and consent settings (LEK 2022:482 9 kap. 28 §; GDPR Art. 4(11), 7)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, HttpUrl
from pydantic_core import PydanticCustomError

from custos.policy._base import DatePeriod, PolicyModel, Text
from custos.policy.durations import DURATION_HINT, Duration, DurationError, parse_duration


class CookieCategory(StrEnum):
    # Only strictly necessary storage is exempt from consent (LEK 9 kap. 28 § second paragraph).
    NECESSARY = "necessary"
    PREFERENCES = "preferences"
    ANALYTICS = "analytics"
    MARKETING = "marketing"


class Party(StrEnum):
    # Visitors are told whether third parties can read a cookie (EDPB GL 05/2020; REQUIREMENTS "Cookies").
    FIRST = "first"
    THIRD = "third"


def _check_lifetime(value: str) -> str:
    if value == "session":
        return value
    try:
        parse_duration(value, allow_time=True)
    except DurationError as error:
        raise PydanticCustomError(
            "cookie_lifetime",
            "{reason}",
            {
                "reason": f"{error}; a cookie lifetime is `session` or a duration",
                "hint": DURATION_HINT + ", PT30M",
            },
        ) from None
    return value


# `session` or an ISO 8601 duration; cookies may live minutes, so time parts (PT30M) are allowed here.
CookieLifetime = Annotated[str, AfterValidator(_check_lifetime)]


class Cookie(PolicyModel):
    name: Text = Field(description="the cookie name; a trailing * stands for a site-specific suffix")
    provider: Text
    category: CookieCategory = Field(description="necessary, preferences, analytics or marketing")
    party: Party = Field(description="first or third")
    lifetime: CookieLifetime = Field(description="session, or a duration such as P365D or PT30M")
    purpose: Text
    privacy_url: HttpUrl | None = Field(default=None, description="the provider's privacy information")

    @property
    def duration(self) -> Duration | None:
        """The persistent lifetime, or None for a session cookie."""
        return None if self.lifetime == "session" else Duration.parse(self.lifetime)


class ConsentCategory(PolicyModel):
    id: CookieCategory
    name: Text
    description: Text


class IconPosition(StrEnum):
    BOTTOM_LEFT = "bottom-left"
    BOTTOM_RIGHT = "bottom-right"
    TOP_LEFT = "top-left"
    TOP_RIGHT = "top-right"


class ConsentSettings(PolicyModel):
    validity: DatePeriod = Field(description="how long a consent lasts before it is asked again, e.g. P365D")
    # Continued browsing is not consent (CJEU C-673/17 Planet49; GDPR Art. 4(11)); false unless set.
    implied_by_browsing: bool = False
    # Withdrawal must be as easy as giving consent (Art. 7(3)): a floating icon that is always there.
    withdraw_icon: IconPosition = IconPosition.BOTTOM_LEFT
    # Global Privacy Control is an objection by automated means (Art. 21(5)); honoured unless said otherwise.
    gpc_honoured: bool = True
    categories: list[ConsentCategory] = Field(default_factory=list)
