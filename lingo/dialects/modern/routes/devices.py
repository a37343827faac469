"""Modern device routes: the caller's signed-in sessions (``docs/dialects/modern.md``)."""
