"""A software passkey for HTTP tests: an ES256 key pair answering WebAuthn ceremonies the way a
browser and a platform authenticator do ("none" attestation, a discoverable credential)."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

USER_PRESENT, USER_VERIFIED, ATTESTED = 0x01, 0x04, 0x40


class SoftPasskey:
    def __init__(self, origin: str = "http://localhost") -> None:
        self.origin = origin
        self.rp_id = origin.split("://", 1)[1].split(":")[0]
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(16)
        self.sign_count = 0
        self.user_handle: bytes | None = None

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps({**data, "crossOrigin": False}).encode()

    def _authenticator_data(self, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + self.sign_count.to_bytes(4, "big") + attested

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})

    def create(
        self, options: dict[str, Any], *, verified: bool = True, origin: str | None = None
    ) -> str:
        """The JSON a browser sends back from ``navigator.credentials.create(options)``."""
        self.user_handle = base64url_to_bytes(options["user"]["id"])
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        flags = USER_PRESENT | ATTESTED | (USER_VERIFIED if verified else 0)
        length = len(self.credential_id).to_bytes(2, "big")
        attested = bytes(16) + length + self.credential_id + self._cose_key()
        attestation = {
            "fmt": "none",
            "attStmt": {},
            "authData": self._authenticator_data(flags, attested),
        }
        credential_id = bytes_to_base64url(self.credential_id)
        response = {
            "clientDataJSON": bytes_to_base64url(client_data),
            "attestationObject": bytes_to_base64url(cbor2.dumps(attestation)),
            "transports": ["internal"],
        }
        return json.dumps(
            {
                "id": credential_id,
                "rawId": credential_id,
                "type": "public-key",
                "response": response,
            }
        )

    def get(
        self,
        options: dict[str, Any],
        *,
        verified: bool = True,
        origin: str | None = None,
        user_handle: bytes | None = None,
    ) -> str:
        """The JSON a browser sends back from ``navigator.credentials.get(options)``."""
        self.sign_count += 1
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        authenticator_data = self._authenticator_data(
            USER_PRESENT | (USER_VERIFIED if verified else 0)
        )
        signed = authenticator_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        handle = user_handle or self.user_handle
        credential_id = bytes_to_base64url(self.credential_id)
        response = {
            "clientDataJSON": bytes_to_base64url(client_data),
            "authenticatorData": bytes_to_base64url(authenticator_data),
            "signature": bytes_to_base64url(signature),
            "userHandle": bytes_to_base64url(handle) if handle else None,
        }
        return json.dumps(
            {
                "id": credential_id,
                "rawId": credential_id,
                "type": "public-key",
                "response": response,
            }
        )
