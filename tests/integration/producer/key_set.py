"""An identity provider in miniature: signing keys, and their JWKS document served on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from conveyor_devstack.ports import LOOPBACK

ISSUER = "https://idp.example.test/"
AUDIENCE = "conveyor-api"
TENANT = "tenant-jwks-int"


@dataclass(frozen=True)
class SigningKey:
    """A private key with the `kid` and algorithm it is published under."""

    kid: str
    algorithm: str
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        public = self.private_key.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            fields = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            fields = ECAlgorithm.to_jwk(public, as_dict=True)
        return {**fields, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def sign(self, claims: Mapping[str, Any], *, kid: str | None = None) -> str:
        """A token signed by this key; `kid` overrides the key id its header names."""
        headers = {"kid": self.kid if kid is None else kid}
        return jwt.encode(dict(claims), self.private_key, algorithm=self.algorithm, headers=headers)


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims for the configured audience and issuer; a None override drops a claim."""
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": "ada",
        "tenant": TENANT,
        "roles": ["clerk"],
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


@dataclass
class KeySetServer:
    """Serves the JWKS document of `keys` at `url`, counting the fetches."""

    keys: list[SigningKey] = field(default_factory=list)
    # Served instead of the keys' document when set: a broken endpoint.
    raw_body: bytes | None = None
    fetches: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{LOOPBACK}:{self._server.server_port}/.well-known/jwks.json"

    def publish(self, *keys: SigningKey) -> None:
        """Replaces the published keys (a rotation)."""
        with self._lock:
            self.keys = list(keys)

    def document(self) -> bytes:
        with self._lock:
            self.fetches += 1
            if self.raw_body is not None:
                return self.raw_body
            return json.dumps({"keys": [key.jwk() for key in self.keys]}).encode()

    def __enter__(self) -> KeySetServer:
        self._server = ThreadingHTTPServer((LOOPBACK, 0), _handler_for(self))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def _handler_for(key_set: KeySetServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = key_set.document()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read the fetch count instead."""

    return Handler
