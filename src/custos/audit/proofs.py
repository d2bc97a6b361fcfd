"""Proofs for people outside Custos: signed block heads for a witness, and one event's inclusion proof.

A witness (the DPO's own archive, an auditor, a notary service) keeps the signed heads (`heads`); later, a
single event — "who read my data on 3 March?" — can be shown to be in the log without handing over any other
event: its inclusion proof (`inclusion_proof`) leads from the event's hash to the Merkle root of its block, the
root is in the block's header, the header hashes to the head the witness holds, and the head is signed. All of
it is checked by `check_proof` with nothing but SHA-256 and Ed25519 (RFC 6962 / 9162 audit paths).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from custos.actor import Actor
from custos.audit import merkle
from custos.audit.actions import Action
from custos.audit.chain import PLAIN, block_bytes, details_json, digest, format_at, leaf_bytes, leaf_hash
from custos.audit.models import AuditBlock, AuditEvent
from custos.audit.signing import public_keys, signature_ok
from custos.crypto.keyring import KeyRing
from custos.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from custos.runtime import Runtime

PROOF_FORMAT = "custos-audit-proof/1"


def export_heads(runtime: Runtime, actor: Actor, write: Callable[[str], object], *, after: int = -1) -> int:
    """Hand every block head above `after` to `write` as JSON lines, then record the export; returns how many."""
    written = 0
    with runtime.work(actor) as work:
        for line in heads(work.session, runtime.keys, after=after):
            write(json.dumps(line, separators=(",", ":")) + "\n")
            written += 1
        work.audit(Action.AUDIT_HEADS, details={"after": after, "heads": written})
    return written


def prove(runtime: Runtime, actor: Actor, seq: int) -> dict[str, object]:
    """The inclusion proof of event `seq`, audited as handed out (the event's subject, if any, as its subject:
    a person asking what was done with their data may be given it)."""
    with runtime.work(actor) as work:
        proof = inclusion_proof(work.session, runtime.keys, seq)
        event = proof["event"]
        subject = event.get("subject") if isinstance(event, dict) else None
        work.audit(Action.AUDIT_PROOF, subject=subject if isinstance(subject, str) else None, details={"seq": seq})
    return proof


def head_line(block: AuditBlock, public: Mapping[int, str]) -> dict[str, object]:
    """One block head as a witness keeps it: every header field, the head, its signature and the public key."""
    return {
        "block": block.block,
        "first_seq": block.first_seq,
        "last_seq": block.last_seq,
        "size": block.size,
        "holes": [list(hole) for hole in block.holes],
        "root": block.root,
        "prev_head": block.prev_head,
        "sealed_at": format_at(block.sealed_at),
        "head": block.head,
        "signer": block.signer,
        "signature": block.signature,
        "public_key": public.get(block.signer) if block.signer is not None else None,
    }


def heads(session: Session, keys: KeyRing, *, after: int = -1) -> Iterator[dict[str, object]]:
    """The heads of the blocks numbered above `after`, oldest first."""
    public = public_keys(keys)
    statement = select(AuditBlock).where(AuditBlock.block > after).order_by(AuditBlock.block)
    for block in session.scalars(statement.execution_options(yield_per=1000)):
        yield head_line(block, public)


def inclusion_proof(session: Session, keys: KeyRing, seq: int) -> dict[str, object]:
    """The proof that event `seq` is in its sealed block. `NotFound` for no such event, `InvalidInput` for an
    event not sealed yet or sealed before blocks had Merkle trees (block 0)."""
    event = session.get(AuditEvent, seq)
    if event is None:
        raise NotFound(f"audit event {seq} does not exist")
    block = session.scalars(select(AuditBlock).where(AuditBlock.last_seq >= seq).order_by(AuditBlock.block)).first()
    if block is None or block.first_seq > seq:
        raise InvalidInput(f"audit event {seq} is not sealed yet: it will be within seconds, ask again then")
    if block.block == 0:
        raise InvalidInput(f"audit event {seq} is from before sealed blocks (block 0): export its day instead")
    rows = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.seq >= block.first_seq, AuditEvent.seq <= block.last_seq)
        .order_by(AuditEvent.seq)
    ).all()
    index = [row[0] for row in rows].index(seq)
    path = merkle.inclusion_path([bytes.fromhex(row[1]) for row in rows], index)
    return {
        "format": PROOF_FORMAT,
        "event": _event_line(event),
        "index": index,
        "path": [node.hex() for node in path],
        "block": head_line(block, public_keys(keys)),
    }


def check_proof(proof: Mapping[str, Any], trusted_head: str | None = None) -> list[str]:
    """Every reason the proof fails, empty when it holds. `trusted_head`: a head the checker already holds
    (from a witness); without it, the signature in the proof is what vouches for the head."""
    problems: list[str] = []
    try:
        event, block = proof["event"], proof["block"]
        leaf = leaf_hash(leaf_bytes(event["at"], [event[name] for name in PLAIN], details_json(event["details"])))
        if leaf != event["hash"]:
            problems.append("the event does not hash to its hash")
        path = [bytes.fromhex(node) for node in proof["path"]]
        root = merkle.root_from_path(bytes.fromhex(leaf), int(proof["index"]), int(block["size"]), path).hex()
        if root != block["root"]:
            problems.append("the path does not lead to the block's Merkle root")
        header = block_bytes(
            block["block"],
            block["first_seq"],
            block["last_seq"],
            block["size"],
            block["holes"],
            block["root"],
            block["prev_head"],
            block["sealed_at"],
        )
        if digest(header) != block["head"]:
            problems.append("the block's header does not hash to its head")
        if _numbers(block)[int(proof["index"])] != event["seq"]:
            problems.append("the event's number is not the one at its place in the block")
        if trusted_head is not None and trusted_head != block["head"]:
            problems.append("the block's head is not the trusted head")
        if trusted_head is None and not (
            block.get("signature")
            and block.get("public_key")
            and signature_ok(block["public_key"], block["head"], block["signature"])
        ):
            problems.append("the block's head carries no valid signature")
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        problems.append(f"the proof is malformed: {type(exc).__name__}: {exc}")
    return problems


def _numbers(block: Mapping[str, Any]) -> list[int]:
    """The numbers a block sealed, in order: its range without its holes."""
    holes = {n for low, high in block["holes"] for n in range(int(low), int(high) + 1)}
    return [n for n in range(int(block["first_seq"]), int(block["last_seq"]) + 1) if n not in holes]


def _event_line(event: AuditEvent) -> dict[str, object]:
    line: dict[str, object] = {"seq": event.seq, "at": format_at(event.at)}
    line.update({name: getattr(event, name) for name in PLAIN})
    line["details"] = event.details
    line["hash"] = event.hash
    return line
