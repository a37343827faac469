"""The modern ``/api/auth`` dialect (``seeds/modern-api-auth.md``)."""

from .routes import DIALECT, send_code

__all__ = ["DIALECT", "send_code"]
