"""What the ESP clients share beyond the values: capability checks and the secret as an API key."""

from __future__ import annotations

from typing import cast

from esp_clients.base import (
    AccountRef,
    Capability,
    CertificateState,
    EspClient,
    EspSecret,
    TrackingDomain,
    Unsupported,
)
from esp_clients.errors import EspAuthError, EspUnsupported


def require(client: EspClient, capability: Capability) -> None:
    """Raise EspUnsupported (with the explain() reason) unless `client` supports `capability`."""
    unsupported = client.explain(capability)
    if unsupported is not None:
        raise EspUnsupported.from_unsupported(
            unsupported, esp=client.label, account=client.account.name
        )


def unsupported_error(client: EspClient, capability: Capability) -> EspUnsupported:
    """The EspUnsupported a client raises for `capability`, with its explain() reason."""
    unsupported = client.explain(capability) or Unsupported(
        capability=capability, reason=f"{client.label}'s client does not offer this"
    )
    return EspUnsupported.from_unsupported(
        unsupported, esp=client.label, account=client.account.name
    )


class WithoutHttpsCalls:
    """Mixin for ESPs whose API has neither certificate calls nor an HTTPS switch: each such call
    raises EspUnsupported with the client's own explain() reason."""

    def request_certificate(self, domain: TrackingDomain) -> CertificateState:
        """Unsupported: this ESP's API has no certificate call."""
        raise unsupported_error(cast("EspClient", self), Capability.CERTIFICATE)

    def certificate_status(self, domain: TrackingDomain) -> CertificateState:
        """Unsupported: this ESP's API reports no certificate state."""
        raise unsupported_error(cast("EspClient", self), Capability.CERTIFICATE)

    def set_https(self, domain: TrackingDomain, enabled: bool) -> TrackingDomain:
        """Unsupported: this ESP's API cannot switch HTTPS."""
        capability = Capability.HTTPS_ENABLE if enabled else Capability.HTTPS_DISABLE
        raise unsupported_error(cast("EspClient", self), capability)


def api_key(secret: EspSecret, account: AccountRef, label: str) -> str:
    """The secret as an API key; AWS credentials given to a key-based ESP are a setup mistake."""
    if isinstance(secret, str):
        return secret
    raise EspAuthError(
        "this ESP needs an API key, not AWS credentials", esp=label, account=account.name
    )
