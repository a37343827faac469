"""Routes of the platform dialect, one module per subject, all on the package's blueprint.

- :mod:`.auth`: send_code, check_code, register, sign-in, tokens;
- :mod:`.personal`: the signed-in user's profile;
- :mod:`.content`: FAQ and feedback;
- :mod:`.push`: push bindings, switches and the push log.
"""

from . import auth, content, personal, push

__all__ = ["auth", "content", "personal", "push"]
