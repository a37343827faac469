"""The image-to-sound dialect (``docs/dialects/image-to-sound.md``): code login with HS256 JWTs."""

from .routes import DIALECT

__all__ = ["DIALECT"]
