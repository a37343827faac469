"""The admin envelope: the modern one (``docs/dialects/admin.md``).

The admin console is a modern-generation client, so success bodies, error
bodies and the error table are modern's, named here so that the admin
package has the same shape as every dialect. Content records are rendered by
:mod:`lingo.web.records`, which the platform API shares.
"""

from __future__ import annotations

from ..modern.render import ERRORS, ok, render_error

__all__ = ["ERRORS", "ok", "render_error"]
