"""Modern account routes: the signed-in account and its deletion (``docs/dialects/modern.md``)."""
