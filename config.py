"""Configuration classes for lingo.

Pick one with ``LINGO_ENV`` (``production`` by default, ``development``,
``testing``); then every key below can be overridden from the environment as
``LINGO_<KEY>`` (``app.config.from_prefixed_env("LINGO")``, values parsed as
JSON when they are JSON, e.g. ``LINGO_RETURN_CODE=true``).
"""
from __future__ import annotations


class Config:
    """Defaults shared by every environment."""

    #: Signs tokens and keys the HMAC of verification codes. Must be set in production.
    SECRET_KEY: str | None = None
    #: SQLAlchemy URL; ``None`` means ``sqlite:///<instance>/lingo.sqlite``.
    DATABASE_URL: str | None = None
    #: Request bodies larger than this are refused (413 / invalid_input).
    MAX_CONTENT_LENGTH = 64 * 1024
    #: Stamped on every new user (platform ``app_id``).
    APP_ID = ""
    #: Timezone used to render platform/legacy timestamps.
    TIMEZONE = "Asia/Shanghai"
    #: Trusted reverse-proxy hops for ``X-Forwarded-*`` (0: ignore the headers).
    PROXY_HOPS = 0

    # Verification codes (docs/contract.md §3)
    CODE_TTL = 300
    CODE_MAX_ATTEMPTS = 5
    #: Failed verifications per hour for one account from one client address
    #: (IPv6: its /64): stops the address that guesses, not the owner.
    CODE_FAILURES_PER_HOUR = 20
    #: Failed verifications per hour for one account from all addresses together
    #: (distributed guessing); higher, so strangers rarely lock the owner out.
    CODE_FAILURES_PER_ACCOUNT_HOUR = 100
    CODE_RESEND_SECONDS = 60
    CODE_SENDS_PER_DAY = 10
    CODE_SENDS_PER_IP_HOUR = 20
    #: v4 ``forget_password`` attempts per hour per phone and per client address (IPv6: /64).
    RESET_ATTEMPTS_PER_PHONE_HOUR = 10
    RESET_ATTEMPTS_PER_IP_HOUR = 20
    #: Regions (ISO 3166 codes) whose phones may be sent codes: ``["CN"]``,
    #: ``"CN,HK"`` or ``"*"`` for all. Others are invalid input (SMS pumping).
    SMS_ALLOWED_REGIONS = "CN"
    #: ``"phone=code,email=code"`` fixed codes for app-store review accounts.
    TEST_OTP = ""
    #: Echo the code in the modern ``send_code`` response. Never in production.
    RETURN_CODE = False
    #: ``console`` (logs the message; development), ``aliyun``, ``tencent``,
    #: ``webhook`` or ``outbox`` (kept in memory, for tests).
    SMS_BACKEND = "console"
    #: Optional second provider (same names): used once when the first answers ``sms_unavailable``.
    SMS_FALLBACK_BACKEND = ""
    #: Production refuses ``SMS_BACKEND=console`` (no phone gets a code) unless this is set.
    ALLOW_CONSOLE_SMS = False
    #: Seconds to connect to / wait for an SMS or captcha provider: a hanging
    #: provider pins a sync gunicorn worker for at most their sum.
    SMS_CONNECT_TIMEOUT = 2.0
    SMS_READ_TIMEOUT = 3.0
    #: Whether the console sender may print the code itself (development only).
    CONSOLE_SHOWS_CODE = False

    # Aliyun SMS (``SMS_BACKEND=aliyun``, ``pip install -e '.[aliyun]'``).
    ALIYUN_ACCESS_KEY_ID = ""
    ALIYUN_ACCESS_KEY_SECRET = ""
    ALIYUN_SMS_REGION = "cn-hangzhou"
    #: ``host[:port]`` or ``http(s)://host[:port]``.
    ALIYUN_SMS_ENDPOINT = "dysmsapi.aliyuncs.com"
    ALIYUN_SMS_SIGN_NAME = ""
    #: Template of sign-in / registration codes, the default of every scene.
    ALIYUN_SMS_TEMPLATE_CODE = ""
    #: Template of v4 password-reset codes (empty: the default template).
    ALIYUN_SMS_TEMPLATE_CODE_RESET = ""
    #: Template for numbers outside mainland China (empty: the scene's template).
    ALIYUN_SMS_TEMPLATE_CODE_INTERNATIONAL = ""
    #: Template variable that receives the code (``${code}``).
    ALIYUN_SMS_PARAM_CODE = "code"
    #: Template variable that receives the lifetime in minutes; empty: not sent.
    ALIYUN_SMS_PARAM_MINUTES = ""

    # Tencent Cloud SMS (``SMS_BACKEND=tencent``, ``pip install -e '.[tencent]'``).
    TENCENT_SECRET_ID = ""
    TENCENT_SECRET_KEY = ""
    TENCENT_SMS_REGION = "ap-guangzhou"
    #: ``host[:port]`` or ``http(s)://host[:port]``.
    TENCENT_SMS_ENDPOINT = "sms.tencentcloudapi.com"
    TENCENT_SMS_SDK_APP_ID = ""
    TENCENT_SMS_SIGN_NAME = ""
    TENCENT_SMS_TEMPLATE_ID = ""
    TENCENT_SMS_TEMPLATE_ID_RESET = ""
    TENCENT_SMS_TEMPLATE_ID_INTERNATIONAL = ""
    #: What fills the template's ``{1}``, ``{2}`` ...: ``code`` and/or ``minutes``, in order.
    TENCENT_SMS_TEMPLATE_PARAMS = "code,minutes"

    # SMS through an HTTP endpoint of the operator's (``SMS_BACKEND=webhook``).
    #: POSTed ``{"phone", "code", "ttl", "scene"}`` as JSON.
    SMS_WEBHOOK_URL = ""
    #: Key of the ``X-Lingo-Signature: sha256=<HMAC-SHA256(body)>`` header.
    SMS_WEBHOOK_SECRET = ""

    # Captcha before sending a code (off unless CAPTCHA_PROVIDER and CAPTCHA_DIALECTS are set).
    #: ``""`` (none), ``aliyun`` (Captcha 2.0) or ``tencent``.
    CAPTCHA_PROVIDER = ""
    #: Dialects whose send endpoints need a captcha: ``modern``, ``platform``, ``v4``.
    CAPTCHA_DIALECTS: list[str] = []
    #: When the captcha provider cannot be reached: true lets the send through, false refuses (503).
    CAPTCHA_FAIL_OPEN = False
    #: Aliyun Captcha 2.0 endpoint and scene id (uses the ``ALIYUN_ACCESS_KEY_*`` keys).
    ALIYUN_CAPTCHA_ENDPOINT = "captcha.cn-shanghai.aliyuncs.com"
    ALIYUN_CAPTCHA_SCENE_ID = ""
    #: Tencent captcha endpoint, ``CaptchaAppId`` and ``AppSecretKey`` (uses ``TENCENT_SECRET_*``).
    TENCENT_CAPTCHA_ENDPOINT = "captcha.tencentcloudapi.com"
    TENCENT_CAPTCHA_APP_ID = ""
    TENCENT_CAPTCHA_APP_SECRET_KEY = ""

    # Push messages sent by managers (lingo/senders/push.py).
    #: ``console`` (logs each push) or ``webhook`` (POSTs signed JSON to ``PUSH_WEBHOOK_URL``).
    PUSH_BACKEND = "console"
    #: Where the webhook sender POSTs each push (``http://`` or ``https://``).
    PUSH_WEBHOOK_URL = ""
    #: Key of the ``X-Lingo-Signature: sha256=<HMAC-SHA256(body)>`` header. Required for ``webhook``.
    PUSH_WEBHOOK_SECRET = ""
    #: Seconds the webhook sender waits for the push provider.
    PUSH_WEBHOOK_TIMEOUT = 5

    # Per-user caps on records a person can pile up (platform 10003 / HTTP 403 when reached).
    #: Feedback items one user may have at once; deleting one frees a place.
    FEEDBACK_PER_USER_MAX = 100
    #: Devices (push ``client_id``) bound to one user at once; binding one of
    #: theirs again is always allowed. Every bound device receives pushes to all.
    PUSH_BINDINGS_PER_USER_MAX = 50

    # Email codes (platform accounts by email address).
    #: ``console`` (logs the message), ``smtp``, or ``outbox`` (in memory, for tests).
    MAIL_BACKEND = "console"
    #: SMTP server host and port (25 plain, 587 with STARTTLS, 465 with SSL).
    MAIL_HOST = "localhost"
    MAIL_PORT = 25
    #: Upgrade the connection with STARTTLS.
    MAIL_USE_TLS = False
    #: Connect with implicit TLS (SMTPS). Not together with ``MAIL_USE_TLS``.
    MAIL_USE_SSL = False
    #: SMTP login; no login when empty.
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    #: The sender address, e.g. ``"lingo <no-reply@example.com>"``; required for ``smtp``.
    MAIL_FROM = ""
    #: Seconds to wait for the SMTP server before giving up (then error 10014).
    MAIL_TIMEOUT = 10

    # Passwords (argon2id). memory in KiB; 19456 KiB = 19 MiB (OWASP minimum).
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19456
    ARGON2_PARALLELISM = 1
    #: Wrong passwords for one account within ``PASSWORD_LOCK_WINDOW`` seconds
    #: that lock its password sign-in (every dialect) for ``PASSWORD_LOCK_SECONDS``.
    #: Code sign-in still works, and clears the lock, as a password reset does.
    PASSWORD_FAILURES_BEFORE_LOCK = 10
    PASSWORD_LOCK_WINDOW = 900
    PASSWORD_LOCK_SECONDS = 900

    # Account lifecycle (docs/operations.md).
    #: Days between a deletion request and the erasure by ``flask purge`` (0: erased in the request itself).
    ACCOUNT_DELETE_GRACE = 15
    #: Days audit events are kept; ``flask purge`` deletes older ones.
    AUDIT_RETENTION_DAYS = 180
    #: Days a session (and its tokens) is kept once it expired or was revoked; ``flask purge``
    #: deletes older ones, and tokens that expired longer ago (docs/operations.md, "Retention").
    SESSION_RETENTION_DAYS = 30

    # Tokens and sessions (docs/contract.md §4), seconds.
    MODERN_ACCESS_TTL = 7200
    MODERN_REFRESH_TTL = 30 * 24 * 3600
    PLATFORM_ACCESS_TTL = 604800
    PLATFORM_REFRESH_TTL = 30 * 24 * 3600
    V4_TOKEN_TTL = 30 * 24 * 3600
    JWT_ACCESS_TTL = 3600
    JWT_REFRESH_TTL = 2592000
    JWT_ISSUER = "lingo"
    #: Seconds after a refresh token's rotation during which presenting it once
    #: more (its answer was lost on a mobile network) gets a new pair and kills
    #: the lost one instead of revoking the session. docs/contract.md §4 allows at most 10
    #: (larger values count as 10); 0 turns the grace off.
    REFRESH_REUSE_GRACE = 10

    # Rate limiting (flask-limiter). Redis in production.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    #: ``X-RateLimit-*`` / ``Retry-After`` headers. Off: computing them costs extra
    #: storage round trips on every limited request (isregister 0.98 → 0.64 ms).
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_KEY_PREFIX = "lingo"
    #: Passed to the storage client: a Redis that hangs must not hang requests.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    #: Password sign-in attempts per client IP, all dialects together.
    LOGIN_RATE_LIMIT = "30/minute"
    #: Answers that tell whether a number is registered, per client address (IPv6: /64),
    #: all such endpoints together: v4 ``isregister``, ``sendsms``, ``register``,
    #: ``verify_code``, ``forget_password``; platform ``register``; modern ``set_password_by_code``.
    ISREGISTER_RATE_LIMIT = "30/minute"

    # Logging: one line per request (``lingo.ops.request_log``).
    #: ``text`` or ``json`` (one JSON object per line).
    LOG_FORMAT = "text"
    LOG_LEVEL = "INFO"

    # Prometheus metrics on GET /metrics (``lingo.ops.metrics``).
    #: ``Authorization: Bearer <token>`` that /metrics requires (16+ characters).
    #: Empty: /metrics is open in development and testing, absent (404) in production.
    METRICS_TOKEN = ""

    # API documentation (``lingo.ops.apidocs``): GET /api/openapi.json and the
    # Swagger UI page GET /api/docs, both served offline. Off: both are 404.
    API_DOCS = True

    # The admin web console under /admin/ (``lingo.console``, docs/console.md): its
    # sign-in is Flask's signed session cookie, sent only to /admin.
    SESSION_COOKIE_NAME = "lingo_console"
    SESSION_COOKIE_PATH = "/admin"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    #: Minutes without a request after which a console sign-in ends.
    ADMIN_CONSOLE_IDLE_MINUTES = 30
    #: Hours a console sign-in lasts at most, however busy (its server-side session's lifetime).
    ADMIN_CONSOLE_SESSION_HOURS = 12

    SQLALCHEMY_TRACK_MODIFICATIONS = False


class Development(Config):
    """``make run``: SQLite in the instance folder, codes printed on the console."""

    SECRET_KEY = "dev-only-insecure-secret-key-do-not-deploy"
    CONSOLE_SHOWS_CODE = True


class Testing(Config):
    """The test suite: in-memory SMS and email outboxes and fixed secrets."""

    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"
    SMS_BACKEND = "outbox"
    MAIL_BACKEND = "outbox"
    RATELIMIT_STORAGE_URI = "memory://"


class Production(Config):
    """Gunicorn behind nginx; refuses to start without a real secret key."""

    # Engine options: lingo.database.configure (MySQL: ping after an idle spell, recycling).
    #: The console's cookie only over HTTPS (nginx terminates TLS).
    SESSION_COOKIE_SECURE = True
    #: No API documentation on a public server unless the operator turns it on (``LINGO_API_DOCS=true``).
    API_DOCS = False


CONFIGS: dict[str, type[Config]] = {
    "production": Production,
    "development": Development,
    "testing": Testing,
}
