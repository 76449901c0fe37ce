"""Errors of the embedded server.

    ApiError        an HTTP API call failed; carries the status and the message
                    that go into the `{"error", "status"}` envelope
    ListenError     the API itself cannot listen where it was asked to
"""

from __future__ import annotations


class ApiError(Exception):
    """An API call that ends in a 4xx or 5xx answer with the error envelope."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ListenError(OSError):
    """The API server could not bind its listen address."""
