"""What a version-2 audit entry's hash covers: one definition for the writer and the verifier.

A JSON array: the version (2), then the application, its chain position, the transition, the
source and target status, the actor (a number, or null), the actor's name and role, the tier,
the time in microseconds since 1970 UTC, the reason, ``details`` as its own canonical JSON text
(quoted as a string), the content and state digests and the previous entry's hash. Strings are
JSON-quoted in UTF-8 (not ASCII-escaped), numbers written in decimal.

No Django here: the verifier's worker processes import it.
"""

from __future__ import annotations

from json.encoder import encode_basestring as _quote  # JSON's own string quoting


def chain_bytes(
    application: int,
    app_seq: int,
    transition: str,
    source: str,
    target: str,
    actor: int | None,
    actor_name: str,
    actor_role: str,
    tier: str,
    at_us: int,
    reason: str,
    details: str,
    content_digest: str,
    state_digest: str,
    prev_hash: str,
) -> bytes:
    """The bytes a version-2 entry's hash is taken over."""
    q = _quote
    return (
        f"[2,{int(application)},{int(app_seq)},{q(transition)},{q(source)},{q(target)},"
        f"{'null' if actor is None else int(actor)},{q(actor_name)},{q(actor_role)},{q(tier)},"
        f"{int(at_us)},{q(reason)},{q(details)},{q(content_digest)},{q(state_digest)},"
        f"{q(prev_hash)}]"
    ).encode()


def quoted_details(canonical: str) -> bytes:
    """``details``' canonical JSON text as it stands in the array."""
    return _quote(canonical).encode()
