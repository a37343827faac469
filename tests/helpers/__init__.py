"""Plain helpers for the tests: no fixtures here (those live in ``tests/conftest.py``).

``tests/`` is on ``sys.path`` (pytest's default ``prepend`` import mode puts
the directory of the top-level ``conftest.py`` there), so tests and
``conftest.py`` import these modules as ``from helpers.<module> import ...``;
no test imports from ``conftest``. Modules, by subject:

- :mod:`helpers.apps`: the testing configuration of an app (``app_config``);
- :mod:`helpers.databases`: test databases per backend (make, migrate, drop);
- :mod:`helpers.clock`: ``FakeClock``, the controllable application clock;
- :mod:`helpers.concurrency`: ``race``, threads released together;
- :mod:`helpers.modern`, :mod:`helpers.platform`, :mod:`helpers.v4`: actions
  through each dialect's HTTP API (``ModernApi``, ``PlatformApi``, ``V4Api``)
  and the v4 tests' row helpers;
- :mod:`helpers.staff`: managers made through the CLI and the admin calls;
- :mod:`helpers.world`: ``TokenWorld``, a user and a manager whose live tokens
  the property tests hand to drawn requests;
- :mod:`helpers.providers`: ``ProviderServer``, a local stand-in for an
  outside provider; :mod:`helpers.fake_aliyun` and :mod:`helpers.fake_tencent`
  build on it.

A free loopback port comes from ``deploy/ports.py`` (``from deploy.ports
import free_port``), shared with ``bench/`` and ``deploy/``.
"""
