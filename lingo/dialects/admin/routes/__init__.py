"""Routes of the admin API, one module per subject, all on the package's blueprint.

- :mod:`.content`: FAQ, feedback categories, feedback, pushes, users;
- :mod:`.accounts`: deletions (request, pending list);
- :mod:`.sessions`: a user's sessions;
- :mod:`.audit`: the audit log.
"""

from . import accounts, audit, content, sessions

__all__ = ["accounts", "audit", "content", "sessions"]
