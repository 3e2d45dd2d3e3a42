"""The IAM actions trackdeck needs at SES, and the auth error that names them (shared by the
tracking-domain calls in `esp_clients.ses` and the click calls in `esp_clients.ses_clicks`)."""

from __future__ import annotations

from esp_clients.errors import EspAuthError

IAM_ACTIONS = (
    "ses:ListConfigurationSets",
    "ses:GetConfigurationSet",
    "ses:GetEmailIdentity",
    "ses:PutConfigurationSetTrackingOptions",
    "ses:GetAccount",
    "ses:BatchGetMetricData",
)


class SesAuthError(EspAuthError):
    """AWS refused the credentials or the IAM policy lacks an SES action."""

    def hint_for(self, account: str) -> str:
        """Name the credentials command and the IAM actions trackdeck needs."""
        return (
            f"check the AWS credentials for account {account} (trackdeck creds set {account}) "
            f"and that their IAM policy allows {', '.join(IAM_ACTIONS)}"
        )
