"""``yinsi keys init|rotate|rewrap|reindex|drop``: the field-encryption keys (X09, X25, W17).

A key file (JSON, mode 0600, :class:`~yinsi.security.FileKeySource`) holds the
encryption ring (key-encryption keys of :class:`~yinsi.security.FieldCipher`) and the
blind-index ring. Rotation without downtime::

    yinsi keys rotate --key-file F            # new key active, old key retired (decrypts)
    yinsi keys rewrap --key-file F --map M    # every encrypted column moved to the new key
    yinsi keys drop   --key-file F --map M k1 # refused while a token still names k1

and of the blind-index key (old indexes keep matching: lookups ask with every key)::

    yinsi keys rotate  --key-file F --blind-index              # b2 active, b1 retired
    yinsi keys reindex --key-file F --map M                    # every index recomputed
    yinsi keys drop    --key-file F --map M --blind-index b1   # refused while one names b1

With several nodes, ``rotate --staged`` adds the new key retired (every node can read its
tokens once it has the file) and ``rotate --activate KID`` then makes it active.
Keys are never printed. Exit 1 on a user error, never with a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from yinsi.cli.common import DbUrl, db_url, fail, out
from yinsi.cli.key_stores import SweepBar, report_reindex, report_rewrap

if TYPE_CHECKING:
    from yinsi.security import KeyRing, KeySet
    from yinsi.services.field_keys import KeyInUse

KeyFile = Annotated[
    Path,
    typer.Option(
        "--key-file",
        envvar="YINSI_KEY_FILE",
        help="The field-encryption key file (JSON, mode 0600); default: $YINSI_KEY_FILE.",
        show_default=False,
    ),
]
MapFile = Annotated[
    Path,
    typer.Option(
        "--map",
        envvar="YINSI_DATA_MAP",
        help="The app's data map (YAML); its `encrypted: true` columns are rewrapped.",
        show_default=False,
    ),
]
Actor = Annotated[str, typer.Option(help="Who the audit log names.")]
BlindIndexFlag = Annotated[
    bool,
    typer.Option(
        "--blind-index",
        help="The blind-index key instead of the encryption key (then `yinsi keys reindex`).",
    ),
]

_NUMBERED = re.compile(r"^(.*?)(\d+)$")


@contextmanager
def _errors(data_map: Path | None = None, url: str | None = None) -> Iterator[None]:
    """Known errors as one message and exit 1."""
    from yinsi.cli.rights_errors import KNOWN, describe
    from yinsi.security import SecurityError
    from yinsi.services.field_keys import FieldKeyError

    try:
        yield
    except (SecurityError, FieldKeyError) as exc:
        fail(str(exc))
    except KNOWN as exc:
        fail(describe(exc, data_map=data_map, url=url))


def _load(key_file: Path) -> KeySet:
    from yinsi.security import FileKeySource

    return FileKeySource(key_file).load()


def _next_kid(keys: KeySet, ring: KeyRing) -> str:
    """``k<n+1>`` after the highest numbered key id of ``ring`` (``k2`` after ``k1``,
    ``b2`` after ``b1``), taken by neither ring."""
    numbered = [_NUMBERED.match(kid) for kid in ring.kids]
    stem = next((m.group(1) for m in numbered if m), "k")
    n = max((int(m.group(2)) for m in numbered if m and m.group(1) == stem), default=0)
    taken = {kid.lower() for ring in (keys.encryption, keys.blind_index) for kid in ring.kids}
    while f"{stem}{n + 1}".lower() in taken:
        n += 1
    return f"{stem}{n + 1}"


def init(
    key_file: KeyFile,
    kid: Annotated[str, typer.Option(help="Id of the encryption key.")] = "k1",
    blind_index_kid: Annotated[str, typer.Option(help="Id of the blind-index key.")] = "b1",
) -> None:
    """Field-encryption keys: create a key file (0600) with one encryption and one blind-index key."""
    import secrets

    from yinsi.security import FileKeySource, Key, KeyPurpose, KeyRing, KeySet, KeyState

    if key_file.exists():
        fail(
            f"{key_file} already exists; yinsi never overwrites keys (tokens under them would "
            "be lost). Use `yinsi keys rotate --key-file {key_file}` for a new key"
        )
    with _errors():
        keys = KeySet(
            encryption=KeyRing(
                [Key(kid, secrets.token_bytes(32), KeyState.ACTIVE)],
                purpose=KeyPurpose.ENCRYPTION,
            ),
            blind_index=KeyRing(
                [Key(blind_index_kid, secrets.token_bytes(32), KeyState.ACTIVE)],
                purpose=KeyPurpose.BLIND_INDEX,
            ),
        )
        FileKeySource(key_file).save(keys)
    out.print(
        f"已创建密钥文件 {key_file}（权限 0600）：加密密钥 {kid}（启用），盲索引密钥 "
        f"{blind_index_kid}（启用）。请立即备份该文件：丢失密钥将无法解密数据。",
        markup=False,
    )


def rotate(
    key_file: KeyFile,
    kid: Annotated[
        str | None, typer.Option("--kid", help="Id of the new key; default: the next k<n>.")
    ] = None,
    staged: Annotated[
        bool,
        typer.Option(
            "--staged",
            help="Add the new key retired: roll the file out to every node, then --activate it.",
        ),
    ] = False,
    activate: Annotated[
        str | None,
        typer.Option("--activate", metavar="KID", help="Activate a key added with --staged."),
    ] = None,
    blind_index: BlindIndexFlag = False,
) -> None:
    """Field-encryption keys: add a new active encryption (or blind-index) key; old keys stay."""
    from yinsi.security import FileKeySource

    source = FileKeySource(key_file)
    with _errors():
        keys = source.load()
        ring = keys.blind_index if blind_index else keys.encryption
        old = ring.active.kid
        new_ring, new = _rotated(keys, ring, kid=kid, staged=staged, activate=activate)
        if blind_index:
            source.save(replace(keys, blind_index=new_ring))
        else:
            source.save(replace(keys, encryption=new_ring))
    _say_rotated(key_file, old, new, staged=staged, blind_index=blind_index)


def _rotated(
    keys: KeySet, ring: KeyRing, *, kid: str | None, staged: bool, activate: str | None
) -> tuple[KeyRing, str]:
    """``ring`` with ``activate`` made active, or with a new key (active unless ``staged``),
    and that key's id."""
    import secrets

    from yinsi.security import KeyPurpose, KeyState

    if activate is not None:
        if kid is not None or staged:
            fail("--activate KID stands alone; it activates a key added with --staged")
        if ring.get(activate).state is KeyState.ACTIVE:
            ring_name = "blind-index" if ring.purpose is KeyPurpose.BLIND_INDEX else "encryption"
            fail(f"key {activate!r} is already the active {ring_name} key")
        return ring.activate(activate), activate
    new = kid or _next_kid(keys, ring)
    taken = [k for r in (keys.encryption, keys.blind_index) for k in r.kids]
    clash = next((k for k in taken if k.lower() == new.lower()), None)
    if clash is not None:
        fail(
            f"key id {new!r} is taken ({clash!r} is in the key file; ids differing only "
            "in case are refused too, as SQL LIKE may ignore case); choose another --kid"
        )
    new_ring = ring.add(new, secrets.token_bytes(32))
    return (new_ring, new) if staged else (new_ring.activate(new), new)


def _say_rotated(key_file: Path, old: str, new: str, *, staged: bool, blind_index: bool) -> None:
    """What changed and the next command to run."""
    what = "盲索引密钥" if blind_index else "加密密钥"
    flag = " --blind-index" if blind_index else ""
    if staged:
        out.print(
            f"已添加{what} {new}（未启用，仅用于{'匹配查询' if blind_index else '解密'}）；"
            f"当前启用的仍是 {old}。将密钥文件分发到所有节点后，"
            f"运行 yinsi keys rotate --key-file {key_file}{flag} --activate {new}",
            markup=False,
        )
    elif blind_index:
        out.print(
            f"盲索引密钥 {new} 已启用；{old} 已停用（查询时仍可匹配旧索引）。下一步：yinsi keys "
            f"reindex --key-file {key_file} --map 数据清单.yaml，完成后 yinsi keys drop "
            f"--key-file {key_file} --map 数据清单.yaml --blind-index {old}",
            markup=False,
        )
    else:
        out.print(
            f"加密密钥 {new} 已启用；{old} 已停用（仍可解密）。下一步：yinsi keys rewrap --key-file "
            f"{key_file} --map 数据清单.yaml，完成后 yinsi keys drop --key-file {key_file} --map "
            f"数据清单.yaml {old}",
            markup=False,
        )


def rewrap(
    key_file: KeyFile,
    data_map_path: MapFile,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Rows per transaction.")] = 500,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Field-encryption keys: rewrap every token not under the active key, in batches."""
    from yinsi.security import FieldCipher
    from yinsi.services.field_keys import FieldKeyService
    from yinsi.services.root import Services

    with _errors(data_map_path, url):
        cipher = FieldCipher(_load(key_file).encryption)
        field_keys = FieldKeyService.read(data_map_path)
        targets = field_keys.rewrap_targets()  # a map without any: refused before the database
        with Services.open(db_url(url), actor=actor) as services, SweepBar() as bar:
            field_keys.rewrap(
                targets,
                cipher,
                services.audit,
                actor=actor,
                size=batch,
                on_dataset=bar.dataset,
                on_batch=bar.batch,
                on_done=report_rewrap,
            )
    out.print("已记入审计日志。", markup=False)


def reindex(
    key_file: KeyFile,
    data_map_path: MapFile,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Rows per transaction.")] = 500,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Field-encryption keys: recompute every blind index not under the active key, in batches."""
    from yinsi.security import BlindIndex, FieldCipher
    from yinsi.services.field_keys import FieldKeyService
    from yinsi.services.root import Services

    with _errors(data_map_path, url):
        keys = _load(key_file)
        cipher, index = FieldCipher(keys.encryption), BlindIndex(keys.blind_index)
        field_keys = FieldKeyService.read(data_map_path)
        targets = field_keys.index_targets()  # a map without any: refused before the database
        with Services.open(db_url(url), actor=actor) as services, SweepBar() as bar:
            field_keys.reindex(
                targets,
                cipher,
                index,
                services.audit,
                actor=actor,
                size=batch,
                on_dataset=bar.dataset,
                on_batch=bar.batch,
                on_done=report_reindex,
            )
    out.print("已记入审计日志。", markup=False)


def drop(
    kid: Annotated[str, typer.Argument(metavar="KID", help="The retired key id.")],
    key_file: KeyFile,
    data_map_path: MapFile,
    url: DbUrl = None,
    actor: Actor = "cli",
    blind_index: BlindIndexFlag = False,
) -> None:
    """Field-encryption keys: remove a retired key, refused while any token (or index) uses it."""
    from yinsi.security import FileKeySource
    from yinsi.services.field_keys import FieldKeyService, KeyInUse
    from yinsi.services.root import Services

    source = FileKeySource(key_file)
    with _errors(data_map_path, url):
        keys = source.load()
        field_keys = FieldKeyService.read(data_map_path)
        try:
            # refuses an unknown or the active key, then counts what still uses it
            checked = field_keys.check_drop(keys, kid, blind_index=blind_index)
        except KeyInUse as exc:
            fail(_in_use(exc, key_file, data_map_path))
        with Services.open(db_url(url), actor=actor) as services:
            field_keys.drop(checked, source, services.audit, actor=actor)
    if blind_index:
        out.print(f"已删除盲索引密钥 {kid}（数据清单中已无使用它的盲索引）。", markup=False)
    else:
        out.print(f"已删除加密密钥 {kid}（数据清单中已无使用它的密文）。", markup=False)


def _in_use(exc: KeyInUse, key_file: Path, data_map_path: Path) -> str:
    """Why the key stays, where it is still used and the command that frees it."""
    where = "，".join(f"{name} {n} 个" for name, n in exc.left.items())
    things, command = ("盲索引", "reindex") if exc.blind_index else ("密文", "rewrap")
    return (
        f"不能删除密钥 {exc.kid}：仍有 {sum(exc.left.values())} 个{things}使用它（{where}）。请先运行 "
        f"yinsi keys {command} --key-file {key_file} --map {data_map_path}"
    )
