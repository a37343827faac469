"""The captcha a dialect's ``send_code`` may require before any code is sent.

An operator names the dialects in ``CAPTCHA_DIALECTS`` (default: none; old
v4 apps cannot show a captcha). For those, :func:`require_captcha` runs before
the send's limits are taken, so a refused captcha costs the account nothing
and sends nothing. Like :mod:`.guard`, it is a gate of the HTTP layer: the
code service never sees the proof.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from ..errors import DomainError, Error
from ..senders import captcha_verifier
from ..senders.captcha import CaptchaUnavailable
from .parsing import client_ip

log = logging.getLogger("lingo.captcha")


def require_captcha(dialect: str, proof: Any) -> None:
    """Check ``proof`` with the captcha provider when ``dialect`` is in ``CAPTCHA_DIALECTS``.

    A provider that cannot be reached lets the request through when
    ``CAPTCHA_FAIL_OPEN`` is on, else refuses it (fail-closed, the default).

    :raises DomainError: ``CAPTCHA_INVALID`` when the proof is missing or
        rejected; ``SERVICE_UNAVAILABLE`` when the provider cannot be reached
        and the check fails closed.
    """
    cfg = current_app.config
    if dialect not in cfg["CAPTCHA_DIALECTS"]:
        return
    if proof is None or proof == "" or proof == {}:
        raise DomainError(Error.CAPTCHA_INVALID)
    verifier = captcha_verifier()
    assert verifier is not None  # create_app refuses CAPTCHA_DIALECTS without a provider
    try:
        verifier.verify(proof, ip=client_ip())
    except CaptchaUnavailable as exc:
        fail_open = bool(cfg["CAPTCHA_FAIL_OPEN"])
        log.error(
            "%s captcha unavailable (provider code %s, request id %s): %s",
            exc.provider,
            exc.provider_code,
            exc.request_id or "-",
            "letting the send through (CAPTCHA_FAIL_OPEN)" if fail_open else "refusing the send",
        )
        if not fail_open:
            raise DomainError(Error.SERVICE_UNAVAILABLE) from exc
