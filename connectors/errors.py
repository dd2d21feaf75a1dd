"""The connector exception tree. Everything a connector raises is one of these:

    ConnectorError              base; the message says what happened and what to do
    ├── NotConfigured           credentials/URL absent: names the environment variables to set
    ├── AuthError               401/403: never retried; names the environment variables to fix
    ├── RateLimitExhausted      still throttled after the allowed number of waits
    ├── ServerError             5xx / connection errors / timeouts after the retry budget
    ├── ClientError             any other 4xx, with the vendor's error body
    └── BadRecord               a record the pipeline cannot use (ingest quarantines it)

Messages never contain credentials: the HTTP layer builds them from the method,
the path without its query string, the status and the vendor's error body.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class for every error a connector raises."""


class NotConfigured(ConnectorError):
    def __init__(self, platform: str, missing: list[str]) -> None:
        self.platform = platform
        self.missing = missing
        super().__init__(
            f"{platform} is not configured: set {', '.join(missing)} in the environment "
            "(see .env.example)."
        )


class AuthError(ConnectorError):
    """The vendor refused the credentials; retrying cannot help."""


class RateLimitExhausted(ConnectorError):
    """Throttled more times than the client is allowed to wait."""


class ServerError(ConnectorError):
    """The vendor kept failing (5xx, connection errors, timeouts) past the retry budget."""


class ClientError(ConnectorError):
    """A 4xx other than auth or throttling: the request itself is wrong."""

    def __init__(self, message: str, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(message)


class BadRecord(ConnectorError):
    """A record is missing what the pipeline needs (e.g. its id)."""
