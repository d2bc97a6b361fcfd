"""The personal-data register: organisations, people, their identities and relationships.

Personal fields are stored only encrypted (`*_enc`); emails and phones are found through a keyed blind
index (`lookup`), names through a keyed blind index of their normalised words (`person_name_token`,
`register.name_index`). Organisation names and numbers are not personal data and stay in clear text.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custos.db.base import Base, UTCDateTime


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    org_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    roles: Mapped[list[OrganisationRole]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="OrganisationRole.started_on"
    )

    __table_args__ = (Index("ix_organisation_name", "name"),)


class OrganisationRole(Base):
    """A period during which the organisation was our customer, supplier or partner."""

    __tablename__ = "organisation_role"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    organisation: Mapped[Organisation] = relationship(back_populates="roles")


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(36), unique=True)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    title_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    identities: Mapped[list[Identity]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Identity.id"
    )
    relationships: Mapped[list[Relationship]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Relationship.id"
    )


class Identity(Base):
    """An email address, phone number or external id by which a person can be recognised."""

    __tablename__ = "identity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value_enc: Mapped[bytes] = mapped_column(LargeBinary)
    lookup: Mapped[bytes] = mapped_column(LargeBinary(32))
    person: Mapped[Person] = relationship(back_populates="identities")

    # One address belongs to one person: the same email imported twice is the same person.
    __table_args__ = (UniqueConstraint("kind", "lookup", name="uq_identity_kind_lookup"),)


class Relationship(Base):
    """Why we hold a person: subject category × processing activity, optionally through an organisation.

    Retention is computed per relationship from the policy's rule and the dates held here.
    """

    __tablename__ = "relationship"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    subject_category: Mapped[str] = mapped_column(String(80))
    activity: Mapped[str] = mapped_column(String(80))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    legal_basis: Mapped[str] = mapped_column(String(40))
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    last_interaction_on: Mapped[date | None] = mapped_column(Date)
    collected_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    person: Mapped[Person] = relationship(back_populates="relationships")
    organisation: Mapped[Organisation | None] = relationship()

    # A natural key, so re-importing a file updates rather than duplicates.
    __table_args__ = (
        UniqueConstraint(
            "person_id", "subject_category", "activity", "organisation_id", name="uq_relationship_natural"
        ),
        Index("ix_relationship_category", "subject_category"),
        # The retention prefilter per activity and anchor (the dashboard counts it; migration 0009).
        Index("ix_relationship_activity_last_interaction", "activity", "last_interaction_on"),
        Index("ix_relationship_activity_ended", "activity", "ended_on"),
        Index("ix_relationship_activity_collected", "activity", "collected_on"),
    )


class PersonNameToken(Base):
    """One normalised word of a person's name, as a keyed HMAC (`register.name_index`): a search by name
    matches whole words without decrypting the register. Rewritten whenever the name or the key changes."""

    __tablename__ = "person_name_token"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)

    __table_args__ = (Index("ix_person_name_token_token", "token"),)
