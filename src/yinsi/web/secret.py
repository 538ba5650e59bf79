"""``load_secret(environ)``: the key that signs the web pages' sessions, entry links and CSRF tokens.

A service that restarts must keep its secret, or every open session and every entry link
handed out is void; several service processes behind one address must share it. So it is
``YINSI_WEB_SECRET`` (hex, at least 16 bytes) when set, else a file
``$YINSI_HOME/web-secret`` (default ``.yinsi/web-secret``) made on first use with mode 0600,
like the erasure key. A file others can read is refused: whoever reads it can sign in as
any user of the privacy center.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

__all__ = ["ENV_VAR", "FILE_NAME", "MIN_BYTES", "WebSecretError", "load_secret"]

ENV_VAR = "YINSI_WEB_SECRET"
FILE_NAME = "web-secret"
MIN_BYTES = 16


class WebSecretError(ValueError):
    """The configured web secret cannot be used; the message says how to fix it."""


def load_secret(environ: Mapping[str, str]) -> bytes:
    """The web secret: ``YINSI_WEB_SECRET`` (hex), else the 0600 file under ``YINSI_HOME``."""
    text = environ.get(ENV_VAR, "").strip()
    if text:
        return _parse(text, ENV_VAR)
    path = Path(environ.get("YINSI_HOME", ".yinsi")) / FILE_NAME
    if not path.exists():
        _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise WebSecretError(
            f"{path} can be read by other users (mode {mode:o}): it signs every session of "
            f"the privacy center; run `chmod 600 {path}`"
        )
    return _parse(path.read_text(encoding="ascii").strip(), str(path))


def _parse(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise WebSecretError(f"{where} is not hex; make one with `openssl rand -hex 32`") from None
    if len(key) < MIN_BYTES:
        raise WebSecretError(
            f"{where} holds {len(key)} bytes; at least {MIN_BYTES} are needed (32 recommended: "
            "`openssl rand -hex 32`)"
        )
    return key


def _create(path: Path) -> None:
    """Write a fresh 32-byte secret as hex, atomically: written to a private temporary file,
    then hard-linked into place, so two processes starting at once both read one full key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs
            os.link(tmp, path)
    finally:
        tmp.unlink()
