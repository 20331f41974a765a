"""Passphrases for the private keys kept at rest.

The master secret is ``JILIANG_CA_PASSPHRASE`` from the environment when set (so an
operator can keep it apart from the application's SECRET_KEY), else ``settings.SECRET_KEY``.
Each stored key gets its own passphrase, derived from the master secret with HKDF-SHA256
and the key's purpose and serial as context, so one leaked passphrase opens one key.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

ENV_VAR = "JILIANG_CA_PASSPHRASE"
_SALT = b"jiliang-certificates-keystore-v1"


def master_secret() -> bytes:
    secret = os.environ.get(ENV_VAR) or getattr(settings, "JILIANG_CA_PASSPHRASE", None) or settings.SECRET_KEY
    if not secret:
        raise ValueError(f"{ENV_VAR}: no passphrase and no SECRET_KEY to derive one from")
    return secret.encode("utf-8")


def passphrase_for(purpose: str, serial: str) -> bytes:
    """The passphrase of one stored key (``purpose`` is "ca" or "signing")."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=f"{purpose}:{serial}".encode()).derive(master_secret())
    return base64.urlsafe_b64encode(derived)
