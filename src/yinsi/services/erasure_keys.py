"""The erasure key, anchored in yinsi's database so that it cannot change silently.

Keyed-hash erasure (``keyed_hash`` in a data map) replaces a value with an HMAC under the
erasure key: the same value always gives the same token, which is what lets erased
records still be joined. The key comes from ``YINSI_ERASURE_KEY`` or a key file
(``$YINSI_HOME/erasure.key``, ``YINSI_HOME`` defaulting to ``./.yinsi``: relative to the
working directory). Started from another folder, a process used to mint a fresh key there
and every new token silently stopped matching the old ones.

Now the first process that uses a key records its fingerprint in the audit log
(``erasure_key.anchored``: an HMAC of a fixed label under the key, never the key), and
every later one compares:

- same fingerprint: the key is used;
- another fingerprint: :class:`ErasureKeyMismatch`, naming the file that was read and
  what to set (the process refuses to start rather than write tokens under a new key);
- no key file and no ``YINSI_ERASURE_KEY`` while a fingerprint is recorded: data keyed
  with the recorded key may exist, so no key is minted — :class:`ErasureKeyMissing`.

A key file made before the anchor existed is migrated on first use: its fingerprint is
recorded (an upgrade changes no token).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yinsi.services.root import Services

__all__ = [
    "ANCHOR_ACTION",
    "ErasureKeyMismatch",
    "ErasureKeyMissing",
    "anchored_erasure_key",
    "fingerprint",
]

ANCHOR_ACTION = "erasure_key.anchored"
_LABEL = b"yinsi erasure-key fingerprint v1"
_SYSTEM_APP = "*"


class ErasureKeyMismatch(ValueError):
    """The erasure key read now is not the one the database's tokens were made with."""


class ErasureKeyMissing(ValueError):
    """No erasure key is available, and one was already used for this database."""


def fingerprint(key: bytes) -> str:
    """An HMAC-SHA256 of a fixed label under ``key`` (32 hex digits): names the key
    without revealing it."""
    return hmac.new(key, _LABEL, hashlib.sha256).hexdigest()[:32]


def _recorded(services: Services) -> str | None:
    """The fingerprint of the last anchored key, or None."""
    with services.units(read_only=True) as uow:
        entry = uow.audit.last(ANCHOR_ACTION)
    found = None if entry is None else entry.details.get("fingerprint")
    return str(found) if found else None


def _where(environ: Mapping[str, str], path: Path) -> str:
    return "YINSI_ERASURE_KEY" if environ.get("YINSI_ERASURE_KEY") else str(path.resolve())


def anchored_erasure_key(services: Services, path: Path) -> bytes:
    """The erasure key from the environment or ``path``, checked against (or recorded
    as) the database's anchor; see the module docstring for the refusals."""
    from yinsi.services.root import erasure_key

    environ = services.environ
    recorded = _recorded(services)
    if recorded is not None and not environ.get("YINSI_ERASURE_KEY") and not path.exists():
        raise ErasureKeyMissing(
            f"找不到擦除密钥：{path.resolve()} 不存在，也没有设置 YINSI_ERASURE_KEY；"
            f"而此数据库已用指纹为 {recorded} 的密钥生成过键控哈希标记。"
            "请把 YINSI_HOME 指向原来的目录（或在原目录下启动），或用 YINSI_ERASURE_KEY "
            "提供原密钥。不会新建密钥：新密钥会让所有标记对不上。"
        )
    key = erasure_key(environ, path)
    found = fingerprint(key)
    if recorded is None:
        source = "environment" if environ.get("YINSI_ERASURE_KEY") else "file"
        services.audit.record(
            services.actor,
            ANCHOR_ACTION,
            _SYSTEM_APP,
            details={"fingerprint": found, "source": source},
        )
    elif found != recorded:
        raise ErasureKeyMismatch(
            f"擦除密钥不一致：读取的 {_where(environ, path)} 指纹为 {found}，"
            f"而此数据库登记的是 {recorded}。请把 YINSI_HOME 指向原来的目录（或在原目录下"
            "启动），或用 YINSI_ERASURE_KEY 提供原密钥；确需换钥时，先按运维手册迁移标记。"
        )
    return key
