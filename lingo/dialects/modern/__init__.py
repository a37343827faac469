"""The modern ``/api/auth`` dialect (``docs/dialects/modern.md``)."""

from .routes import DIALECT, send_code

__all__ = ["DIALECT", "send_code"]
