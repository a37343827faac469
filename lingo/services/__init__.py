"""The service layer: plain values in, results out, :class:`~lingo.errors.DomainError` raised.

Nothing here reads a Flask request: routes pass in the client IP, the token
and the time (``now``, naive UTC).
"""
