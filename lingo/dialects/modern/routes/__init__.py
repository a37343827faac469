"""Routes of the modern dialect, one module per subject, all on the package's blueprint.

- :mod:`.auth`: codes, sign-in, passwords, tokens;
- :mod:`.account`: the signed-in account and its deletion;
- :mod:`.devices`: signed-in sessions (devices) and signing them out.
"""

from . import account, auth, devices

__all__ = ["account", "auth", "devices"]
