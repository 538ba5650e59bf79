"""The rules every id, name and text field of the API is held to, on every database.

An id (app, subject, consent item, request, key …) is 1 to 255 characters with no control
character: yinsi's id columns are ``VARCHAR(255)`` (PostgreSQL and MariaDB refuse more,
SQLite would keep it), PostgreSQL refuses NUL, and a control character in an id is never
meant. The same check runs on path segments (:mod:`yinsi.api.limits`) and on body fields
(the ``Annotated`` types below), so SQLite, PostgreSQL and MariaDB answer alike: 422.

A *subject* id must also be pseudonymous: one that is a mobile phone number, a resident
ID number or an e-mail address is refused with a 422 that says how to key users instead
(the audit log refuses personal information in clear, PIPL Art. 51; see
:func:`yinsi.security.clear_pi.clear_pi`, the same detector).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from yinsi.security.clear_pi import clear_pi

__all__ = [
    "ACCOUNT_MAX_CHARS",
    "ID_MAX_CHARS",
    "NAME_MAX_CHARS",
    "USER_AGENT_MAX_CHARS",
    "Account",
    "Id",
    "Name",
    "SubjectId",
    "UserAgent",
    "id_problem",
    "subject_problem",
]

ID_MAX_CHARS = 255
"""Ids: the length of yinsi's id columns (``VARCHAR(255)``)."""
NAME_MAX_CHARS = 255
"""Names of the declaration (consent items, grounds, elements, versions)."""
ACCOUNT_MAX_CHARS = 255
"""X41 evidence: the account the user acted from (an id column)."""
USER_AGENT_MAX_CHARS = 1024
"""X41 evidence: the client's user agent (real ones are under 500 characters)."""

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

PSEUDONYM_ADVICE = (
    "use a pseudonymous id: the app's internal user id, or a keyed hash of the value "
    "(e.g. hex HMAC-SHA256 of the phone number with a secret key only the app holds; "
    "the same key gives the same id every time), never the phone, ID number or e-mail "
    "itself (PIPL Art. 51)"
)


def id_problem(value: str, what: str = "an id") -> str | None:
    """What is wrong with ``value`` as an id, or None."""
    if not value:
        return f"{what} must not be empty"
    if len(value) > ID_MAX_CHARS:
        return f"{what} is {len(value):,} characters long; the limit is {ID_MAX_CHARS}"
    if (found := _CONTROL.search(value)) is not None:
        return (
            f"{what} holds a control character (U+{ord(found.group()):04X}); ids are printable text"
        )
    return None


def subject_problem(value: str) -> str | None:
    """What is wrong with ``value`` as a subject id (an id that is not PI in clear), or None."""
    if (problem := id_problem(value, "the subject id")) is not None:
        return problem
    kind = clear_pi(value)
    if kind is not None:
        return f"the subject id is {kind}; {PSEUDONYM_ADVICE}"
    return None


def _id(value: str) -> str:
    if (problem := id_problem(value)) is not None:
        raise PydanticCustomError("id_invalid", problem)
    return value


def _subject(value: str) -> str:
    if (problem := subject_problem(value)) is not None:
        raise PydanticCustomError("subject_id_invalid", problem)
    return value


def _printable(value: str) -> str:
    if (found := _CONTROL.search(value)) is not None:
        raise PydanticCustomError(
            "control_character",
            f"holds a control character (U+{ord(found.group()):04X}); remove it",
        )
    return value


Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_CHARS), AfterValidator(_id)]
"""An id of 1–255 printable characters."""
SubjectId = Annotated[
    str, StringConstraints(min_length=1, max_length=ID_MAX_CHARS), AfterValidator(_subject)
]
"""A pseudonymous subject id: an :data:`Id` that is no phone, ID number or e-mail."""
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=NAME_MAX_CHARS), AfterValidator(_id)
]
"""A name of the declaration (it is looked up; an unknown one is a 422 naming it)."""
Account = Annotated[
    str, StringConstraints(max_length=ACCOUNT_MAX_CHARS), AfterValidator(_printable)
]
UserAgent = Annotated[
    str, StringConstraints(max_length=USER_AGENT_MAX_CHARS), AfterValidator(_printable)
]
