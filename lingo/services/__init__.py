"""The service layer: plain values in, results out, :class:`~lingo.errors.DomainError` raised.

Nothing here reads a Flask request: routes pass in the client IP, the token
and the time (``now``, naive UTC). Settings come from one frozen object,
:func:`lingo.settings.current`; nothing here reads ``current_app.config``.

**Transactions.** Only use cases (public functions marked
:func:`~lingo.services.transaction.use_case`) commit or roll back; helpers run
in the caller's transaction. See :mod:`lingo.services.transaction`.

**SQL, one idiom.**

- *Where statements live*: in the service module that runs them, and only
  there. Services execute every statement they build and return plain values
  (model instances they hand over, dataclasses such as ``SignIn`` or a
  ``Page``); dialects and ``lingo.web`` never import ``db``.
- *Built once*: a statement whose shape does not depend on the call is a
  module-level constant (``_LIVE_CODE``, ``_CALLER`` …) built at import, with
  ``bindparam()`` for every value, so SQLAlchemy compiles it once and its
  cache always hits. Where a statement differs by a small fixed choice (the
  kind of account, the SQL dialect), the constant is a dict keyed by that
  choice. Only statements whose shape depends on the request (optional
  filters, a search term) are built per call. A bind parameter of an
  ``INSERT``/``UPDATE`` never shares a name with a column of its table.
- *ORM or Core*: the ORM loads entities a use case changes or hands back
  (``select(User)``, ``db.session.add``). Core — table columns,
  ``insert()``, conditional ``update()`` — is used where no object is
  needed: narrow reads on hot paths (who holds this token, is this phone
  taken), writes nothing reads back (a session and its tokens), and
  conditional updates whose row count is the decision (use a code, rotate a
  token, take a rate unit). Each constant's comment says which it is when
  it is not obvious.
- *Straight on the driver*: a constant Core ``SELECT`` read on most requests
  (the caller behind a token, is this phone taken) may be wrapped in
  :class:`lingo.reads.Read`, which runs it on a pooled DBAPI connection and
  returns tuples (about a third of an authenticated read's cost in the worker
  is SQLAlchemy's execution machinery). Never for a statement built per call,
  a locking read or a row the use case will change.
"""
