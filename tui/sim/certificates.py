"""Test certificate authorities for the simulated world: a trusted CA (its PEM is the CA bundle the
checks are given) and a rogue one, issuing leaf certificates of each kind the TLS check judges.

Built on `cryptography` (a runtime dependency already), so the demo needs no test-only package.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_KINDS = ("valid", "expired", "expiring", "wrong_name", "untrusted")
WRONG_NAME = "shared.esp-tracking.example"
"""The name a `wrong_name` certificate is issued for: an ESP's shared host, as when HTTPS is off."""
EXPIRING_DAYS = 5.0
"""How many days an `expiring` certificate has left unless told otherwise."""

_CA_LIFETIME = dt.timedelta(days=3650)


class CertificateAuthority:
    """A self-signed CA (ECDSA P-256) that issues server certificates for DNS names."""

    def __init__(self, organization: str) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                x509.NameAttribute(NameOID.COMMON_NAME, organization),
            ]
        )
        now = dt.datetime.now(dt.UTC)
        public = self._key.public_key()
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _CA_LIFETIME)
            .not_valid_after(now + _CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self._key, hashes.SHA256())
        )

    def pem(self) -> bytes:
        """The CA certificate as PEM (a CA bundle of one)."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def issue(self, host: str, not_before: dt.datetime, not_after: dt.datetime) -> bytes:
        """A leaf certificate for `host` and its key, as one PEM (certificate first)."""
        key = ec.generate_private_key(ec.SECP256R1())
        issuer_key = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_key.value),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return leaf.public_bytes(serialization.Encoding.PEM) + key_pem


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


class TestCertificates:
    """A trusted CA (whose PEM is the test CA bundle) and an untrusted one, issuing leaf certificates."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self) -> None:
        self.trusted_ca = CertificateAuthority("trackdeck test CA")
        self.untrusted_ca = CertificateAuthority("trackdeck rogue CA")
        self._directory = Path(tempfile.mkdtemp(prefix="trackdeck-tls-"))
        self._numbers = itertools.count()
        self.ca_bundle_path = self._directory / "trusted-ca.pem"
        self.ca_bundle_path.write_bytes(self.trusted_ca.pem())

    def server_context(
        self, kind: str, host: str, *, now: dt.datetime, expiring_days: float = EXPIRING_DAYS
    ) -> ssl.SSLContext:
        """A server context presenting a certificate of `kind` for `host`, dated relative to `now`
        (an `expiring` one ends `expiring_days` after `now`)."""
        chain = self._directory / f"leaf-{next(self._numbers)}.pem"
        chain.write_bytes(self._issue(kind, host, now, expiring_days))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain)
        chain.unlink()
        return context

    def _issue(self, kind: str, host: str, now: dt.datetime, expiring_days: float) -> bytes:
        day = dt.timedelta(days=1)
        if kind == "valid":
            return self.trusted_ca.issue(host, now - day, now + 90 * day)
        if kind == "expired":
            return self.trusted_ca.issue(host, now - 100 * day, now - 10 * day)
        if kind == "expiring":
            return self.trusted_ca.issue(host, now - 85 * day, now + expiring_days * day)
        if kind == "wrong_name":
            return self.trusted_ca.issue(WRONG_NAME, now - day, now + 90 * day)
        if kind == "untrusted":
            return self.untrusted_ca.issue(host, now - day, now + 90 * day)
        raise ValueError(f"unknown certificate kind {kind!r}; expected one of {CERT_KINDS}")

    def cleanup(self) -> None:
        """Remove the temporary CA bundle."""
        shutil.rmtree(self._directory, ignore_errors=True)
