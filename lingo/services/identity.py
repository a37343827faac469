"""Account identifiers: phone numbers (E.164 via ``phonenumbers``) and email addresses."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
LEGACY_MOBILE = re.compile(r"^1\d{10}$", re.ASCII)
E164 = re.compile(r"^\+[1-9]\d{6,14}$", re.ASCII)

PHONE = "phone"
EMAIL = "email"


@dataclass(frozen=True)
class Account:
    """Who a code or a sign-in is for.

    :ivar kind: ``"phone"`` or ``"email"``.
    :ivar key: the E.164 number or the lower-cased email; unique per person.
    :ivar area: country calling code (``"86"``), ``""`` for email.
    :ivar national: national number, ``""`` for email.
    :ivar username: what the person typed, normalised (national number or email).
    """

    kind: str
    key: str
    area: str = ""
    national: str = ""

    @property
    def username(self) -> str:
        """The registration name: the national number for phones, the email otherwise."""
        return self.national if self.kind == PHONE else self.key


def _parse(raw: str, region: str | None) -> phonenumbers.PhoneNumber:
    """``phonenumbers.parse`` with its failure as the ``ValueError`` every parser here raises.

    Numbers that pass our shape checks can still fail to parse: ``phonenumbers``
    strips Chinese carrier-selection prefixes (``17909``, ``17911`` …) and
    leaves too few digits, or reads ``110…`` as an unknown country code.
    Those are bad input, not server faults.

    :raises ValueError: when ``phonenumbers`` cannot parse ``raw``.
    """
    try:
        return phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a valid phone number") from exc


def _from_number(number: phonenumbers.PhoneNumber, *, check_valid: bool = True) -> Account:
    if check_valid and not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = str(number.national_number)
    return Account(PHONE, e164, str(number.country_code), national)


def modern_phone(raw: str) -> Account:
    """Parse a modern / image-to-sound phone: ``1[3-9]xxxxxxxxx`` or ``+<cc><number>``.

    :raises ValueError: when it is neither, or not a valid number.
    """
    raw = raw.strip()
    if MAINLAND_MOBILE.fullmatch(raw):
        return _from_number(_parse(raw, "CN"))
    if E164.fullmatch(raw):
        return _from_number(_parse(raw, None))
    raise ValueError("phone must be a mainland mobile (1[3-9]xxxxxxxxx) or E.164 (+<cc><number>)")


def legacy_phone(raw: str) -> Account:
    """Parse a legacy v4 phone: exactly ``^1\\d{10}$`` (a mainland number), as the seed says.

    Matching numbers that ``phonenumbers`` cannot parse (``11000002100``,
    ``17923002230``) are refused too: there is no E.164 form to store.

    :raises ValueError: when it does not match or cannot be parsed.
    """
    if not LEGACY_MOBILE.fullmatch(raw):
        raise ValueError("phone must match ^1\\d{10}$")
    return _from_number(_parse(raw, "CN"), check_valid=False)


def area_phone(area: str, number: str) -> Account:
    """Parse a platform phone: ``area`` (calling code, default 86) plus digits.

    ``+8613800000000`` and ``008613800000000`` forms are accepted too and ignore ``area``.

    :raises ValueError: when it is not a valid number.
    """
    number = number.strip()
    area = (area or "86").strip().lstrip("+")
    if number.startswith("00"):
        number = "+" + number[2:]
    if number.startswith("+"):
        parsed = _parse(number, None)
    else:
        if not (area + number).isascii() or not area.isdigit() or not number.isdigit():
            raise ValueError("not a valid phone number")
        parsed = _parse("+" + area + number, None)
    return _from_number(parsed)


def email_account(raw: str) -> Account:
    """Validate an email address (syntax only) and lower-case its ASCII form.

    Only ASCII mailbox names are accepted and IDN domains are kept as punycode:
    MySQL/MariaDB compare the stored address accent-insensitively, so a
    non-ASCII form would be one account there and another on SQLite.

    :raises ValueError: when it is not a valid address.
    """
    try:
        result = validate_email(raw.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    # allow_smtputf8=False: an address without an ASCII form was refused above.
    assert result.ascii_email is not None
    normalised = result.ascii_email.lower()
    if len(normalised) > 191:
        raise ValueError("email address too long")
    return Account(EMAIL, normalised)
