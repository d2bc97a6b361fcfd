"""Example customer systems for the tests: a CRM (customers, addresses, contacts), billing (invoices with amounts
and dates, invoice lines) with foreign keys, and a ticket table matched by email only — on any backend.

People: Anna (customer 1; an old invoice past the bookkeeping period and a recent one still inside it; two
tickets; also a contact of customer 3), Bo (customer 2; one old invoice; one ticket), Cecilia (customer 3,
never erased in these tests: her rows must stay untouched).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    insert,
)

TODAY = date(2026, 11, 29)


def example_metadata() -> MetaData:
    metadata = MetaData()
    Table(
        "customers",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("email", String(200), nullable=True, index=True),
        Column("full_name", String(200), nullable=False),
        Column("telefon", String(40)),
        Column("personnummer", String(13)),
        Column("created_at", DateTime),
    )
    Table(
        "addresses",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
        Column("street", String(200)),
        Column("city", String(100)),
    )
    Table(
        "contacts",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
        Column("namn", String(200)),
        Column("e_post", String(200), index=True),
    )
    Table(
        "invoices",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("customer_id", Integer, ForeignKey("customers.id"), nullable=True, index=True),
        Column("invoice_date", Date, nullable=False),
        Column("amount", Numeric(12, 2), nullable=False),
        Column("billing_name", String(200)),
        Column("billing_email", String(200)),
    )
    Table(
        "invoice_lines",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("invoice_id", Integer, ForeignKey("invoices.id"), nullable=False, index=True),
        Column("description", String(200)),
        Column("amount", Numeric(12, 2), nullable=False),
    )
    Table(
        "tickets",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("requester_email", String(200), index=True),
        Column("subject", String(200)),
        Column("body", Text),
    )
    return metadata


ROWS: dict[str, list[dict[str, object]]] = {
    "customers": [
        {"id": 1, "email": "anna@example.se", "full_name": "Anna Andersson", "telefon": "+46701234567",
         "personnummer": "850709-9805", "created_at": datetime(2014, 1, 2, 9, 30)},
        {"id": 2, "email": "bo@example.se", "full_name": "Bo Berg", "telefon": "+46702345678",
         "personnummer": "900101-1239", "created_at": datetime(2015, 6, 1, 12, 0)},
        {"id": 3, "email": "cecilia@example.se", "full_name": "Cecilia Carlsson", "telefon": "+46703456789",
         "personnummer": "760312-3451", "created_at": datetime(2020, 2, 3, 8, 15)},
    ],
    "addresses": [
        {"id": 1, "customer_id": 1, "street": "Storgatan 1", "city": "Stockholm"},
        {"id": 2, "customer_id": 1, "street": "Sommarvägen 9", "city": "Visby"},
        {"id": 3, "customer_id": 2, "street": "Lillgatan 2", "city": "Uppsala"},
        {"id": 4, "customer_id": 3, "street": "Kungsgatan 3", "city": "Göteborg"},
    ],
    "contacts": [
        {"id": 1, "customer_id": 1, "namn": "Anders Andersson", "e_post": "anders@example.se"},
        {"id": 2, "customer_id": 3, "namn": "Anna Andersson", "e_post": "anna@example.se"},
        {"id": 3, "customer_id": 3, "namn": "Carl Carlsson", "e_post": "carl@example.se"},
    ],
    "invoices": [
        {"id": 1, "customer_id": 1, "invoice_date": date(2015, 3, 1), "amount": Decimal("1200.00"),
         "billing_name": "Anna Andersson", "billing_email": "anna@example.se"},
        {"id": 2, "customer_id": 1, "invoice_date": date(2024, 5, 1), "amount": Decimal("499.50"),
         "billing_name": "Anna Andersson", "billing_email": "anna@example.se"},
        {"id": 3, "customer_id": 2, "invoice_date": date(2016, 1, 10), "amount": Decimal("80.00"),
         "billing_name": "Bo Berg", "billing_email": "bo@example.se"},
        {"id": 4, "customer_id": 3, "invoice_date": date(2025, 9, 9), "amount": Decimal("310.00"),
         "billing_name": "Cecilia Carlsson", "billing_email": "cecilia@example.se"},
    ],
    "invoice_lines": [
        {"id": i * 10 + n, "invoice_id": i, "description": f"line {n} of invoice {i}", "amount": Decimal("10.00")}
        for i in (1, 2, 3, 4)
        for n in (1, 2)
    ],
    "tickets": [
        {"id": 1, "requester_email": "anna@example.se", "subject": "Login", "body": "I cannot log in"},
        {"id": 2, "requester_email": "anna@example.se", "subject": "Invoice", "body": "Wrong amount"},
        {"id": 3, "requester_email": "bo@example.se", "subject": "Hello", "body": "Call me on 070-234 56 78"},
        {"id": 4, "requester_email": "someone@example.org", "subject": "Other", "body": "Not a customer"},
    ],
}  # fmt: skip


def build_example(engine: Engine) -> MetaData:
    """Drop and create the example tables in `engine`'s database and fill them."""
    leftovers = MetaData()
    leftovers.reflect(engine)  # tables a previous test added (they may point at the example's tables)
    leftovers.drop_all(engine)
    metadata = example_metadata()
    metadata.create_all(engine)
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            connection.execute(insert(table), ROWS[table.name])
    return metadata


EXAMPLE_MAPPING = """\
system: crm
tables:
  customers:
    key: id
    identity:
      email: email
      telefon: phone
    columns:
      id: none
      email: contact.email
      full_name: contact.name
      telefon: contact.phone
      personnummer: contact.name
      created_at: none
    erase: delete
  addresses:
    references:
      customer_id: customers.id
    columns:
      street: contact.name
      city: contact.name
    erase: delete
  contacts:
    identity:
      e_post: email
    references:
      customer_id: customers.id
    columns:
      namn: contact.name
      e_post: contact.email
    erase: delete
  invoices:
    references:
      customer_id: customers.id
    columns:
      id: none
      invoice_date: none
      amount: finance.invoice
      billing_name: contact.name
      billing_email: contact.email
    erase:
      keep: P7Y
      from: invoice_date
      round: end_of_year
      law: Bokföringslagen (1999:1078) 7 kap. 2 §
      then:
        anonymise:
          billing_name: null
          billing_email: null
          customer_id: null
  invoice_lines:
    references:
      invoice_id: invoices.id
    columns:
      description: finance.invoice
      amount: finance.invoice
    erase: keep
  tickets:
    identity:
      requester_email: email
    columns:
      subject: none
      body: contact.name
    erase: delete
"""
