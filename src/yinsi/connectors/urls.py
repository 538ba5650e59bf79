"""Store URLs and secrets: ``${VAR}`` expanded from the environment, shown without passwords.

A data map never holds a connection string in clear (``url: ${LENDING_DB_URL}``); the
adapter expands it when it connects. Every message that names a store's URL uses
:func:`display_url`, which keeps scheme, host, port and path and hides the password and
query values (webhook URLs often carry a token there).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from yinsi.rights.ports import ConnectorError

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HIDDEN = "***"
_NOT_SQL = ("http", "https", "redis", "rediss", "unix")


def expand(store: str, value: str, environ: Mapping[str, str] | None = None) -> str:
    """``value`` with every ``${VAR}`` replaced by the environment's value.

    Raises :class:`ConnectorError` naming the first variable that is not set.
    """
    env = os.environ if environ is None else environ

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        found = env.get(name)
        if found is None:
            raise ConnectorError(
                store,
                f"environment variable {name} is not set; export it (export {name}=…) "
                "in the environment of the process that runs yinsi",
            )
        return found

    return _VARIABLE.sub(substitute, value)


def display_url(url: str) -> str:
    """``url`` without its password (and, for HTTP and Redis, without query values)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme and scheme not in _NOT_SQL:
        try:  # the same rendering as `yinsi.cli.common.show_url`
            return make_url(url).render_as_string(hide_password=True)
        except (ArgumentError, ValueError):
            pass
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return f"{scheme}://…" if scheme else "…"
    netloc = f"[{host}]" if ":" in host else host
    netloc += port
    if parts.username is not None or parts.password is not None:
        user = parts.username or ""
        secret = f":{_HIDDEN}" if parts.password is not None else ""
        netloc = f"{user}{secret}@{netloc}"
    query = "&".join(f"{k}={_HIDDEN}" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
