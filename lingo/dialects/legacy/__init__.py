"""The legacy ``/api/v4.0`` dialect (``docs/dialects/legacy-v4.md``): every error is HTTP 200."""

from .routes import DIALECT

__all__ = ["DIALECT"]
