"""Signed checkpoints of the audit log, written outside the database, and inclusion proofs.

A checkpoint is the Merkle tree head (RFC 6962) over the first ``size`` entries in ``seq``
order, signed with the programme's Ed25519 key. Sealing continues from the previous checkpoint
(its frontier), so it hashes only the entries added since; the complete subtrees it closes are
kept (``AuditTreeNode``) so that the inclusion proof of any entry reads a few hundred rows.
The signed statement is ``origin\\nsize\\nroot\\nissued_at\\n``; the checkpoint file, a decision
document's ``audit_proof`` and the public key are all an offline verifier needs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from . import audit_merkle as merkle
from .audit import APPEND_LOCK
from .models import AuditCheckpoint, AuditEntry, AuditTreeNode

log = logging.getLogger(__name__)

# Complete subtrees of 2**8 leaves and more are kept; a proof recomputes at most two blocks.
KEPT_LEVEL = 8
BLOCK = 1 << KEPT_LEVEL
SEAL_LOCK = APPEND_LOCK + 1  # one seal at a time (PostgreSQL advisory lock key)


class CheckpointError(Exception):
    """No key is configured, or the key cannot be read."""


# --- keys -----------------------------------------------------------------------------------


def signing_key() -> Ed25519PrivateKey:
    path = settings.AUDIT_CHECKPOINT_KEY
    if not path:
        raise CheckpointError("no checkpoint key: set AUDIT_CHECKPOINT_KEY to an Ed25519 PEM file")
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read the checkpoint key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"the checkpoint key {path} is not an Ed25519 key")
    return key


def checkpoints_enabled() -> bool:
    return bool(settings.AUDIT_CHECKPOINT_KEY)


def make_key(path: Path) -> Ed25519PublicKey:
    """Write a new Ed25519 private key to ``path`` (readable by its owner only)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(pem)
    return key.public_key()


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """A public key from PEM; a private key's PEM gives its public half."""
    if b"PRIVATE KEY" in data:
        private = serialization.load_pem_private_key(data, password=None)
        if isinstance(private, Ed25519PrivateKey):
            return private.public_key()
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# --- the signed statement -------------------------------------------------------------------


def statement(origin: str, size: int, root: str, issued_at: str) -> bytes:
    return f"{origin}\n{size}\n{root}\n{issued_at}\n".encode()


@dataclass(frozen=True)
class SignedHead:
    """A checkpoint as an outsider holds it (its file, or a document's ``audit_proof``)."""

    origin: str
    size: int
    root: str
    issued_at: str
    key_id: str
    signature: str
    source: str = ""

    def signed_by(self, key: Ed25519PublicKey) -> bool:
        try:
            key.verify(
                bytes.fromhex(self.signature),
                statement(self.origin, self.size, self.root, self.issued_at),
            )
        except (InvalidSignature, ValueError):
            return False
        return True

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "") -> SignedHead:
        return cls(
            origin=str(data["origin"]),
            size=int(data["size"] if "size" in data else data["checkpoint"]),
            root=str(data["root"]),
            issued_at=str(data["issued_at"]),
            key_id=str(data["key_id"]),
            signature=str(data["signature"]),
            source=source,
        )


def read_checkpoint_dir(directory: Path) -> list[SignedHead]:
    """Every checkpoint file in ``directory``, smallest first. Raises ValueError naming a file
    that is not a checkpoint."""
    heads = []
    for path in sorted(directory.glob("checkpoint-*.json")):
        try:
            heads.append(SignedHead.from_json(json.loads(path.read_text()), source=path.name))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path} is not a checkpoint file: {exc}") from exc
    return sorted(heads, key=lambda head: head.size)


# --- sealing --------------------------------------------------------------------------------


def seal_checkpoint() -> AuditCheckpoint:
    """Sign the tree head over every committed entry, write it out and keep it; the latest
    checkpoint when nothing was added since. Raises CheckpointError without a key."""
    key = signing_key()
    with transaction.atomic():
        last_seq = _committed_end()
        previous = AuditCheckpoint.objects.order_by("-size").first()
        if previous is not None and previous.last_seq >= last_seq:
            return previous
        checkpoint = _extend(previous, last_seq, key)
        _write_file(checkpoint)
    if settings.AUDIT_CHECKPOINT_EMAILS:
        transaction.on_commit(lambda: _send(checkpoint))
    return checkpoint


def _committed_end() -> int:
    """The largest ``seq`` below which every entry that will ever exist is committed."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK])
            # Wait for the appends in flight, then let the next ones go at once.
            cursor.execute("SELECT pg_advisory_lock(%s)", [APPEND_LOCK])
            try:
                cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM workflows_auditentry")
                (end,) = cursor.fetchone()
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [APPEND_LOCK])
        else:  # SQLite: this transaction holds the only write lock
            cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM workflows_auditentry")
            (end,) = cursor.fetchone()
    return int(end)


def _extend(
    previous: AuditCheckpoint | None, last_seq: int, key: Ed25519PrivateKey
) -> AuditCheckpoint:
    frontier: merkle.Frontier = (
        [(int(level), bytes.fromhex(digest)) for level, digest in previous.frontier]
        if previous
        else []
    )
    size = previous.size if previous else 0
    after = previous.last_seq if previous else 0
    block_starts: dict[int, int] = {}
    nodes: list[AuditTreeNode] = []

    def keep(level: int, index: int, digest: bytes) -> None:
        if level >= KEPT_LEVEL:
            block = (index << level) >> KEPT_LEVEL
            first = block_starts.get(block)
            if first is None:  # begun before the previous checkpoint
                first = block_starts[block] = _seq_at(block * BLOCK, previous)
            nodes.append(
                AuditTreeNode(level=level, index=index, digest=digest.hex(), first_seq=first)
            )

    def one_leaf(seq: int, leaf: bytes) -> None:
        nonlocal size
        if size % BLOCK == 0:
            block_starts[size >> KEPT_LEVEL] = seq
        merkle.append(frontier, leaf, size=size, on_complete=keep)
        size += 1

    def whole_block(first: int, leaves: list[bytes]) -> None:
        """A block of leaves from its beginning: hashed level by level, then one node."""
        nonlocal size
        block = size >> KEPT_LEVEL
        block_starts[block] = first
        digest = merkle.subtree_root(leaves)
        keep(KEPT_LEVEL, block, digest)
        merkle.append(
            frontier,
            digest,
            size=block,
            on_complete=lambda level, index, d: keep(level + KEPT_LEVEL, index, d),
        )
        level, top = frontier[-1]
        frontier[-1] = (level + KEPT_LEVEL, top)
        size += BLOCK

    block: list[bytes] = []
    first = 0
    for seq, digest in _entry_hashes(after, last_seq):
        leaf = merkle.leaf_hash(bytes.fromhex(digest))
        if block or size % BLOCK == 0:
            if not block:
                first = seq
            block.append(leaf)
            if len(block) == BLOCK:
                whole_block(first, block)
                block = []
        else:
            one_leaf(seq, leaf)
    for position, leaf in enumerate(block):  # the last block, not yet whole
        one_leaf(first if position == 0 else 0, leaf)
    AuditTreeNode.objects.bulk_create(nodes, batch_size=500)
    root = merkle.root_of(frontier).hex()
    issued_at = timezone.now().isoformat()
    origin = settings.AUDIT_CHECKPOINT_ORIGIN
    signature = key.sign(statement(origin, size, root, issued_at)).hex()
    return AuditCheckpoint.objects.create(
        size=size,
        last_seq=last_seq,
        root=root,
        issued_at=issued_at,
        key_id=key_id(key.public_key()),
        signature=signature,
        frontier=[[level, digest.hex()] for level, digest in frontier],
    )


def _entry_hashes(after: int, last_seq: int) -> Iterator[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seq, entry_hash FROM workflows_auditentry WHERE seq > %s AND seq <= %s"
            " ORDER BY seq",
            [after, last_seq],
        )
        while rows := cursor.fetchmany(10000):
            yield from rows


def _seq_at(index: int, previous: AuditCheckpoint | None) -> int:
    """The ``seq`` of leaf ``index``, among the entries the previous checkpoint covered."""
    if previous is None or index >= previous.size:
        raise ValueError(f"leaf {index} is not covered by the previous checkpoint")
    back = previous.size - 1 - index  # a block is short: at most BLOCK - 1 entries back
    return int(
        AuditEntry.objects.filter(seq__lte=previous.last_seq)
        .order_by("-seq")
        .values_list("seq", flat=True)[back]
    )


def checkpoint_json(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    return {
        "origin": settings.AUDIT_CHECKPOINT_ORIGIN,
        "size": checkpoint.size,
        "root": checkpoint.root,
        "last_seq": checkpoint.last_seq,
        "issued_at": _issued_at(checkpoint),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def _issued_at(checkpoint: AuditCheckpoint) -> str:
    value = checkpoint.issued_at
    return value if isinstance(value, str) else value.isoformat()


def _write_file(checkpoint: AuditCheckpoint) -> Path:
    directory = Path(settings.AUDIT_CHECKPOINT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"checkpoint-{checkpoint.size:012d}.json"
    path.write_text(json.dumps(checkpoint_json(checkpoint), indent=2) + "\n")
    return path


def _send(checkpoint: AuditCheckpoint) -> None:
    body = json.dumps(checkpoint_json(checkpoint), indent=2)
    message = EmailMessage(
        subject=f"audit checkpoint {checkpoint.size} {checkpoint.root[:16]}",
        body=body,
        to=settings.AUDIT_CHECKPOINT_EMAILS,
    )
    message.attach(f"checkpoint-{checkpoint.size:012d}.json", body, "application/json")
    try:
        message.send()
    except OSError:
        log.exception("could not e-mail audit checkpoint %s", checkpoint.size)


# --- inclusion proofs -----------------------------------------------------------------------


def audit_proof(entry: AuditEntry) -> dict[str, Any] | None:
    """The proof that ``entry`` is in the log, under a checkpoint sealed now: what a decision
    document carries. None when no checkpoint key is configured."""
    if not checkpoints_enabled():
        return None
    checkpoint = seal_checkpoint()
    index = leaf_index(entry.seq)
    path = merkle.inclusion_path(index, checkpoint.size, _subtree)
    return {
        "checkpoint": checkpoint.size,
        "root": checkpoint.root,
        "entry": entry.seq,
        "index": index,
        "proof": [digest.hex() for digest in path],
        "key_id": checkpoint.key_id,
        "origin": settings.AUDIT_CHECKPOINT_ORIGIN,
        "issued_at": _issued_at(checkpoint),
        "signature": checkpoint.signature,
    }


def leaf_index(seq: int) -> int:
    """The position of entry ``seq`` among all entries (``seq`` may have gaps)."""
    block = (
        AuditTreeNode.objects.filter(level=KEPT_LEVEL, first_seq__lte=seq)
        .order_by("-index")
        .values_list("index", "first_seq")
        .first()
    )
    start, first = block if block else (0, 0)
    before = AuditEntry.objects.filter(seq__gte=first, seq__lt=seq).count()
    return int(start) * BLOCK + before


def _subtree(start: int, end: int) -> bytes:
    pieces = merkle.complete_subtrees(start, end)
    kept = {
        (level, index): bytes.fromhex(digest)
        for level, index, digest in AuditTreeNode.objects.filter(
            level__gte=KEPT_LEVEL,
            level__in={p[0] for p in pieces},
            index__in={p[1] for p in pieces},
        ).values_list("level", "index", "digest")
    }
    digests = []
    for level, index in pieces:
        if (level, index) in kept:
            digests.append(kept[(level, index)])
        else:
            leaves = _leaves(index << level, (index + 1) << level)
            digests.append(merkle.root_of_leaves(leaves))
    frontier = [(level, digest) for (level, _), digest in zip(pieces, digests, strict=True)]
    return merkle.root_of(frontier)


def _leaves(start: int, end: int) -> list[bytes]:
    """Leaf hashes ``start``‥``end-1``, found from the kept block they fall in."""
    block = start >> KEPT_LEVEL
    node = (
        AuditTreeNode.objects.filter(level=KEPT_LEVEL, index__lte=block)
        .order_by("-index")
        .values_list("index", "first_seq")
        .first()
    )
    base_index, first_seq = (int(node[0]) * BLOCK, int(node[1])) if node else (0, 0)
    hashes = list(
        AuditEntry.objects.filter(seq__gte=first_seq)
        .order_by("seq")
        .values_list("entry_hash", flat=True)[start - base_index : end - base_index]
    )
    return [merkle.leaf_hash(bytes.fromhex(h)) for h in hashes]


def check_proof(proof: dict[str, Any], entry_hash: str, key: Ed25519PublicKey) -> str:
    """Check a document's ``audit_proof`` offline: the checkpoint's signature, and that the
    path leads from the document's audit entry to the checkpoint's root. The problem, or ""."""
    try:
        head = SignedHead.from_json(proof)
        index, path = int(proof["index"]), [bytes.fromhex(p) for p in proof["proof"]]
        leaf = merkle.leaf_hash(bytes.fromhex(entry_hash))
    except (KeyError, TypeError, ValueError) as exc:
        return f"the audit proof is incomplete ({exc})"
    if not head.signed_by(key):
        return f"checkpoint {head.size} is not signed by the programme's key"
    root = merkle.root_from_path(index, head.size, leaf, path)
    if root is None or root.hex() != head.root:
        return f"audit entry #{proof.get('entry')} is not in checkpoint {head.size}"
    return ""


def document_proof(entry: AuditEntry) -> dict[str, Any] | None:
    """``audit_proof`` for a document issued for ``entry``: sealed once per rendering, however
    many parts of the document (its record, its footer) ask for it."""
    if "_audit_proof" not in entry.__dict__:
        entry.__dict__["_audit_proof"] = audit_proof(entry)
    return entry.__dict__["_audit_proof"]  # type: ignore[no-any-return]
