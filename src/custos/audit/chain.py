"""How an event is hashed: one canonical byte string per event, chained through the previous hash.

The encoding (format `custos-audit/1`) is the compact JSON array, ASCII only, object keys sorted:

    ["custos-audit/1", seq, prev_hash, at, actor_kind, actor_id, actor_label, ip, user_agent,
     action, subject, target, purpose, reference, outcome, details]

`at` is ISO 8601 UTC with microseconds (`2026-11-29T10:00:00.000000+00:00`), missing values are `null`, and
`hash` is the lower-case hex SHA-256 of those bytes. JSON quoting makes the encoding unambiguous (no two
different events give the same bytes) and lets an auditor re-check an exported slice with any JSON library:
every exported line carries exactly these fields. The first event's `prev_hash` is `GENESIS`.

`details` is stored as its canonical JSON text (`details_json`), byte for byte what was hashed: no backend's
JSON type can then re-order or re-format it, and verification need not parse and re-encode it.

Art. 32(1)(b) and 5(1)(f): integrity — a changed, removed or re-ordered event breaks the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

FORMAT = "custos-audit/1"
GENESIS = "0" * 64

# The hashed fields between `at` and `details`, in hash order; verify and export read the columns in this order.
PLAIN: tuple[str, ...] = (
    "actor_kind",
    "actor_id",
    "actor_label",
    "ip",
    "user_agent",
    "action",
    "subject",
    "target",
    "purpose",
    "reference",
    "outcome",
)
FIELDS: tuple[str, ...] = ("at", *PLAIN, "details")

_OPTIONS: dict[str, Any] = {"ensure_ascii": True, "separators": (",", ":"), "sort_keys": True, "allow_nan": False}
# One encoder, built once: `json.dumps` with options builds a new encoder on every call.
_encode = json.JSONEncoder(**_OPTIONS).encode


def _c_encoder() -> Callable[[object], str] | None:
    """CPython's C encoder made once, with exactly `_OPTIONS`: `JSONEncoder.encode` rebuilds it on every call,
    which is a third of the cost of verifying an event. None where the C accelerator is missing."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None

    def refuse(value: object) -> object:
        raise TypeError(f"{type(value).__name__} is not allowed in an audit event")

    encoder = make(None, refuse, json.encoder.encode_basestring_ascii, None, ":", ",", True, False, False)

    def encode(value: object) -> str:
        return "".join(encoder(value, 0))

    return encode


_fast_encode = _c_encoder() or _encode


def format_at(at: datetime) -> str:
    """The one textual form of an event time, used both in the hash and in exports."""
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    return at.isoformat(timespec="microseconds")


def details_json(details: Mapping[str, object]) -> str:
    """The canonical JSON text of an event's details, as stored and hashed."""
    return _encode(details)


def canonical(seq: int, prev_hash: str, at: str, plain: Sequence[object], details: str) -> bytes:
    """The bytes hashed for one event: `at` from `format_at`, `plain` in `PLAIN` order, `details` canonical JSON."""
    head = _fast_encode([FORMAT, seq, prev_hash, at, *plain])
    return f"{head[:-1]},{details}]".encode()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def exported_hash(line: Mapping[str, object]) -> str:
    """Recompute the hash of one exported event (a dict from `export`), as an auditor would."""
    seq, prev_hash, at, details = line["seq"], line["prev_hash"], line["at"], line["details"]
    if not (isinstance(seq, int) and isinstance(prev_hash, str) and isinstance(at, str) and isinstance(details, dict)):
        raise ValueError("an exported event needs seq, prev_hash, at and details")
    return digest(canonical(seq, prev_hash, at, [line[name] for name in PLAIN], details_json(details)))
