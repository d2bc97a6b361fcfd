"""How an event is hashed, and how sealed blocks of events are chained.

Events written since migration 0020 (format `custos-audit/2`) are hashed on their own, with no link to the
previous event, so that any number of processes can append at once without a shared head:

    ["custos-audit/2", at, actor_kind, actor_id, actor_label, ip, user_agent,
     action, subject, target, purpose, reference, outcome, details]

`hash` is the lower-case hex of SHA-256(0x00 || those bytes): the event's RFC 6962 leaf hash. The sealer
(`custos.audit.seal`) then puts the events in blocks: each block commits to its events through a Merkle root
(`custos.audit.merkle`) and to the previous block through `prev_head`, so the blocks form a chain as the
events once did. A block header is hashed as

    ["custos-audit-block/1", block, first_seq, last_seq, size, holes, root, prev_head, sealed_at]

where `holes` lists the numbers in first_seq…last_seq that held no event when the block was sealed (numbers a
rolled-back transaction took from the PostgreSQL sequence), so a number missing later is a deleted event.

Events written before 0020 (format `custos-audit/1`) keep their own chain, each through the previous hash:

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

from custos.audit.merkle import leaf_node

FORMAT = "custos-audit/1"
LEAF_FORMAT = "custos-audit/2"
BLOCK_FORMAT = "custos-audit-block/1"
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


fast_encode = _c_encoder() or _encode


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
    head = fast_encode([FORMAT, seq, prev_hash, at, *plain])
    return f"{head[:-1]},{details}]".encode()


def leaf_bytes(at: str, plain: Sequence[object], details: str) -> bytes:
    """The bytes hashed for one `custos-audit/2` event (no number, no link: the block binds both)."""
    head = fast_encode([LEAF_FORMAT, at, *plain])
    return f"{head[:-1]},{details}]".encode()


def block_bytes(
    block: int,
    first_seq: int,
    last_seq: int,
    size: int,
    holes: Sequence[Sequence[int]],
    root: str,
    prev_head: str,
    sealed_at: str,
) -> bytes:
    """The bytes hashed for one block header; `holes` as `[[from, to], …]`, `sealed_at` from `format_at`."""
    fields = [BLOCK_FORMAT, block, first_seq, last_seq, size, [list(hole) for hole in holes], root, prev_head]
    return _encode([*fields, sealed_at]).encode()


def leaf_hash(data: bytes) -> str:
    """An event's `hash` from its `leaf_bytes`: RFC 6962's leaf hash, so blocks' trees are built from it."""
    return leaf_node(data).hex()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def exported_hash(line: Mapping[str, object]) -> str:
    """Recompute the hash of one exported event (a dict from `export`), as an auditor would."""
    seq, prev_hash, at, details = line["seq"], line.get("prev_hash"), line["at"], line["details"]
    if not (isinstance(seq, int) and isinstance(at, str) and isinstance(details, dict)):
        raise ValueError("an exported event needs seq, at and details")
    plain = [line[name] for name in PLAIN]
    if prev_hash is None:
        return leaf_hash(leaf_bytes(at, plain, details_json(details)))
    if not isinstance(prev_hash, str):
        raise ValueError("prev_hash must be a string")
    return digest(canonical(seq, prev_hash, at, plain, details_json(details)))
