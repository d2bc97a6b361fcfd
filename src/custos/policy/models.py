"""The policy file as typed, frozen models, and the queries the rest of Custos asks of a policy."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from fnmatch import fnmatchcase
from functools import cached_property
from typing import Any, Literal, Protocol, Self, TypeVar

from pydantic import EmailStr, Field, HttpUrl, PrivateAttr, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from custos.errors import NotFound
from custos.jurisdiction import (
    Jurisdiction,
    JurisdictionError,
    check_holidays,
    check_languages,
    check_phone_region,
    check_timezone,
    default_timezone,
)
from custos.policy._base import CategoryId, PolicyModel, Slug, Text
from custos.policy.activities import Activity, Transfer
from custos.policy.cookies import ConsentSettings, Cookie, LocalText
from custos.policy.integrity import integrity_findings
from custos.policy.retention import LegalRetention

# Pass this as validation context when the caller has already run the integrity checks on the raw data
# with line numbers (the loader does), so they are not run twice.
SKIP_INTEGRITY = "custos.policy.skip_integrity"


class Contacts(PolicyModel):
    privacy: EmailStr = Field(description="where subjects exercise their rights")
    support: EmailStr | None = None
    info: EmailStr | None = None
    portal: HttpUrl | None = None


class HolidayCalendar(PolicyModel):
    """Whose public holidays move a deadline off a closed day (Reg. 1182/71 Art. 2(1), 3(4))."""

    country: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2; default organisation.country"
    )
    subdivision: str | None = Field(
        default=None, description="a state or region with holidays of its own, e.g. BY for Bavaria"
    )


class Organisation(PolicyModel):
    """The controller (Art. 13(1)(a), 30(1)(a)), and where it is: its zone, holidays, phone region, languages.

    Everything that depends on the country asks `jurisdiction` (custos.jurisdiction); what is not written
    here is derived from `country` where that is unambiguous, and is an error with a hint where it is not.
    """

    name: Text
    org_number: Text | None = None
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. SE")
    supervisory_authority: Text = Field(
        description="where subjects may complain (Art. 77), e.g. the national data protection authority"
    )
    contacts: Contacts
    # validate_default: a country with several zones (or none Custos knows) must name one; the check runs
    # when the key is absent too.
    timezone: str | None = Field(
        default=None,
        validate_default=True,
        description="IANA time zone the organisation keeps its clock in; default: the country's only zone",
    )
    holidays: HolidayCalendar = Field(
        default_factory=HolidayCalendar,
        validate_default=True,
        description="the public holidays that move a deadline; default: those of the country",
    )
    phone_region: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        validate_default=True,
        description="how a phone number written without a country code is read; default: the country",
    )
    languages: list[str] | None = Field(
        default=None,
        validate_default=True,
        description="the languages of the notice, the request pages and the letters, e.g. [en, sv]",
    )

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        with _jurisdiction_error(absent=value is None):
            if value is not None:
                check_timezone(value)
            elif country is not None:
                default_timezone(country)
        return value

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: HolidayCalendar, info: ValidationInfo) -> HolidayCalendar:
        country = value.country or info.data.get("country")
        if country is not None:
            with _jurisdiction_error():
                check_holidays(country, value.subdivision)
        return value

    @field_validator("phone_region")
    @classmethod
    def _phone_region(cls, value: str | None, info: ValidationInfo) -> str | None:
        region = value or info.data.get("country")
        if region is not None:
            with _jurisdiction_error():
                check_phone_region(region)
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            with _jurisdiction_error():
                check_languages(value)
        return value

    @cached_property
    def jurisdiction(self) -> Jurisdiction:
        """The one object deadlines, letters, cases, identities and incidents ask about the organisation's place."""
        return Jurisdiction.of(
            self.country,
            authority=self.supervisory_authority,
            timezone=self.timezone,
            holiday_country=self.holidays.country,
            subdivision=self.holidays.subdivision,
            phone_region=self.phone_region,
            languages=self.languages,
        )


@contextmanager
def _jurisdiction_error(*, absent: bool = False) -> Iterator[None]:
    """A JurisdictionError as a policy error; `absent`: the key is not written, so the error names it to add."""
    try:
        yield
    except JurisdictionError as exc:
        details = {"message": exc.message, "hint": exc.hint, "missing_key": absent}
        raise PydanticCustomError("jurisdiction", "{message}", details) from None


class DataProtection(PolicyModel):
    # The notice names these roles in its own language: a text, or one per language ({en: ..., sv: ...}).
    person: LocalText = Field(description="the person or role responsible for data protection")
    supported_by: LocalText | None = None
    # A formal Art. 37 DPO must be named in notices and records (Art. 13(1)(b), 30(1)(a)).
    formal_dpo: bool = False
    # Art. 30(1)(a): the records give the data protection contact's details; `policy check` asks for it.
    contact: EmailStr | None = Field(default=None, description="how to reach the data protection person")


class Version(PolicyModel):
    """One published version of the notice; the newest date is the version in force now (Art. 5(2), 12(1))."""

    date: dt.date
    notes: Text | None = None
    snapshot: Text | None = Field(
        default=None, description="path, relative to the policy file, of this version's own policy file"
    )


class DataCategory(PolicyModel):
    id: CategoryId
    description: LocalText
    legal_retention: LegalRetention | None = Field(
        default=None, description="a minimum a law requires, e.g. Bokföringslagen for invoices"
    )


class SubjectKind(StrEnum):
    """What the subject is to the organisation; lets `policy check` test the legal basis against it."""

    CUSTOMER_CONTACT = "customer_contact"
    PROSPECT = "prospect"
    EMPLOYEE = "employee"
    SUPPLIER_CONTACT = "supplier_contact"
    PARTNER_CONTACT = "partner_contact"
    WEBSITE_VISITOR = "website_visitor"
    OTHER = "other"


class SubjectCategory(PolicyModel):
    id: Slug
    name: LocalText
    description: LocalText
    kind: SubjectKind = SubjectKind.OTHER


class SystemKind(StrEnum):
    """How Custos reaches a system to find, export and erase a person (issue 6)."""

    SQL = "sql"  # a database Custos connects to through a SQLAlchemy URL, with a dataset mapping
    HTTP = "http"  # a REST endpoint with templated find/export/delete calls
    MANUAL = "manual"  # a person does it and confirms in the admin UI


# The kinds a policy may name: the built-in ones, and any kind a connector adds (`custos.systems.connectors`
# registers each of its kinds here, so the policy — a lower layer — accepts them without knowing them).
_SYSTEM_KINDS: dict[str, None] = dict.fromkeys(kind.value for kind in SystemKind)


def accept_system_kind(kind: str) -> None:
    _SYSTEM_KINDS[kind] = None


def forget_system_kind(kind: str) -> None:
    _SYSTEM_KINDS.pop(kind, None)


class HttpCall(PolicyModel):
    """One templated call; `{email}`, `{phone}` and `{external_id}` in the URL are filled in, URL-quoted."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: Text = Field(pattern=r"^https?://", description="e.g. https://crm.example/api/contacts?email={email}")


class HttpAuth(PolicyModel):
    """A header whose value comes from an environment variable, so no token is written in the policy."""

    header: Text = "Authorization"
    env: Text = Field(pattern=r"^[A-Z_][A-Z0-9_]*$", description="environment variable holding the header's value")
    scheme: str | None = Field(default=None, description='written before the token with a space, e.g. "Bearer"')


class HttpCalls(PolicyModel):
    find: HttpCall | None = None
    export: HttpCall | None = None
    delete: HttpCall | None = None
    auth: HttpAuth | None = None


class System(PolicyModel):
    """Somewhere personal data is held; staff grants are scoped to systems and environments (Art. 32).

    The policy is the source of truth for what a system is and how it is reached (kind, mapping, connection
    setting); the database holds only its operational state (an owner set in the admin UI, outcomes).
    """

    id: Slug
    name: Text
    environment: Slug = Field(description="e.g. production; access is granted per environment")
    description: Text | None = None
    kind: str = Field(default=SystemKind.MANUAL.value, description="sql, http, manual, or a registered connector's")
    owner: EmailStr | None = Field(default=None, description="the staff member who answers for it (email)")
    mapping: Text | None = Field(default=None, description="sql: the dataset mapping YAML, relative to the policy file")
    connection: Text | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="sql: the environment variable holding the database URL (default CUSTOS_SYSTEM_<ID>_URL)",
    )
    http: HttpCalls | None = Field(default=None, description="http: the templated calls")
    categories: list[CategoryId] = Field(
        default_factory=list, description="manual/http: the data categories held there, for the owner's tasks"
    )

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in _SYSTEM_KINDS:
            raise PydanticCustomError(
                "system_kind",
                "'{kind}' is not a kind of system Custos can reach",
                {"kind": kind, "hint": "one of " + ", ".join(_SYSTEM_KINDS)},
            )
        return kind

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if self.kind == SystemKind.SQL and self.mapping is None:
            raise PydanticCustomError(
                "system_mapping",
                "a sql system needs `mapping:`, the path of its dataset mapping",
                {"hint": "write one with `custos systems scan URL` and set mapping: mappings/<id>.yaml"},
            )
        if self.kind == SystemKind.HTTP and (self.http is None or self.http.delete is None):
            raise PydanticCustomError(
                "system_http",
                "an http system needs `http:` with at least a `delete:` call",
                {"hint": "add http: {find: {url: ...}, export: {url: ...}, delete: {method: DELETE, url: ...}}"},
            )
        if self.kind != SystemKind.SQL and (self.mapping is not None or self.connection is not None):
            raise PydanticCustomError(
                "system_sql_only",
                "`mapping:` and `connection:` are for sql systems only",
                {"hint": "set kind: sql, or remove them"},
            )
        return self

    @property
    def connection_setting(self) -> str:
        """The environment variable that holds a sql system's URL; the URL itself never enters the database."""
        return self.connection or f"CUSTOS_SYSTEM_{self.id.upper().replace('-', '_')}_URL"


class ProcessorService(PolicyModel):
    """A service where the customer is the controller and the organisation its processor (Art. 28, 29)."""

    id: Slug
    service: Text
    controller: Literal["customer"] = "customer"
    description: LocalText
    # Art. 30(2)(b)–(c); optional here so that a policy without them still loads, but `policy check` asks for
    # both, and an empty list must be written out (`transfers: []`) to say "none".
    processing: list[Text] | None = Field(default=None, description="categories of processing, e.g. hosting")
    transfers: list[Transfer] | None = Field(default=None, description="transfers outside the EEA; [] for none")


class SecurityMeasure(PolicyModel):
    """Art. 32 measure; written as plain text or as {id, description}."""

    id: Slug | None = None
    description: LocalText

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"description": value} if isinstance(value, str) else value


class Policy(PolicyModel):
    organisation: Organisation
    data_protection: DataProtection
    preamble: LocalText | None = None  # the notice's introduction
    versions: list[Version] = Field(min_length=1, description="each published version with its date")
    data_categories: list[DataCategory] = Field(min_length=1)
    subject_categories: list[SubjectCategory] = Field(min_length=1)
    activities: list[Activity] = Field(min_length=1)
    systems: list[System] = Field(default_factory=list)
    processor: list[ProcessorService] = Field(default_factory=list)
    cookies: list[Cookie] = Field(default_factory=list)
    consent: ConsentSettings | None = None
    security_measures: list[SecurityMeasure] = Field(default_factory=list)

    # Earlier versions' policies, keyed by version date; filled by the loader from `snapshot` files.
    _snapshots: dict[dt.date, Policy] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _references_hold(self, info: ValidationInfo) -> Self:
        if isinstance(info.context, dict) and info.context.get(SKIP_INTEGRITY):
            return self
        findings = integrity_findings(self.model_dump(mode="json", by_alias=True))
        if findings:
            raise PydanticCustomError(
                "policy_integrity",
                "{summary}",
                {"summary": "; ".join(f"{f.path}: {f.message}" for f in findings), "hint": findings[0].hint},
            )
        return self

    @property
    def jurisdiction(self) -> Jurisdiction:
        """Where the organisation is (its zone, holidays, phone region, languages): see custos.jurisdiction."""
        return self.organisation.jurisdiction

    # -- versions ---------------------------------------------------------------------------------------

    @property
    def versions_sorted(self) -> list[Version]:
        """Oldest first."""
        return sorted(self.versions, key=lambda version: version.date)

    @property
    def current_version(self) -> dt.date:
        """The date of the version this file describes: the newest one."""
        return self.versions_sorted[-1].date

    def version_at(self, day: dt.date) -> Version | None:
        """The version in force on `day`, or None before the first version."""
        in_force = [version for version in self.versions_sorted if version.date <= day]
        return in_force[-1] if in_force else None

    def snapshot_for(self, version_date: dt.date) -> Policy:
        """The policy as it read in the version of that date (this policy for the current version)."""
        if version_date == self.current_version:
            return self
        if version_date in self._snapshots:
            return self._snapshots[version_date]
        if any(version.date == version_date for version in self.versions):
            raise NotFound(f"The text of the policy version of {version_date} was not archived.")
        raise NotFound(f"There is no policy version dated {version_date}.")

    @property
    def archived_versions(self) -> dict[dt.date, Policy]:
        """Earlier versions whose text is on file, by date (a copy; attach with `attach_snapshot`)."""
        return dict(self._snapshots)

    def attach_snapshot(self, version_date: dt.date, snapshot: Policy) -> None:
        """Used by the loader; the snapshot must already have been checked to describe that version."""
        self._snapshots[version_date] = snapshot

    # -- lookups ----------------------------------------------------------------------------------------

    def activity(self, activity_id: str) -> Activity:
        return _find(self.activities, activity_id, "processing activity")

    def subject_category(self, subject_id: str) -> SubjectCategory:
        return _find(self.subject_categories, subject_id, "subject category")

    def data_category(self, category_id: str) -> DataCategory:
        return _find(self.data_categories, category_id, "data category")

    def system(self, system_id: str) -> System:
        return _find(self.systems, system_id, "system")

    def activities_for_subject(self, subject_id: str) -> list[Activity]:
        self.subject_category(subject_id)  # an unknown subject is an error, not an empty answer
        return [activity for activity in self.activities if subject_id in activity.subjects]

    def resolve_data(self, activity: Activity) -> list[DataCategory]:
        """The data categories an activity names, with globs such as `contact.*` expanded, in file order."""
        return [
            category
            for category in self.data_categories
            if any(fnmatchcase(category.id, pattern) for pattern in activity.data)
        ]

    def content_hash(self) -> str:
        """sha256 of the canonical JSON form; the same policy content always gives the same hash."""
        canonical = json.dumps(
            self.model_dump(mode="json", by_alias=True),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _HasId(Protocol):
    @property
    def id(self) -> str | None: ...


_T = TypeVar("_T", bound=_HasId)


def _find(items: list[_T], item_id: str, kind: str) -> _T:
    for item in items:
        if item.id == item_id:
            return item
    raise NotFound(f"No {kind} with id {item_id!r} in the policy.")
