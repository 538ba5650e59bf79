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
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Generic, NoReturn, TypeVar

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from yinsi.cli.common import DbUrl, err, out

if TYPE_CHECKING:
    from yinsi.connectors import reindex as reindexing
    from yinsi.connectors.rewrap import (
        BatchResult,
        ColumnCount,
        DatasetRewrap,
        RewrapTarget,
    )
    from yinsi.connectors.sql_job import SqlStoreJob
    from yinsi.declaration.datamap import DataMap
    from yinsi.security import KeyRing, KeySet
    from yinsi.services.root import Services

AUDIT_REWRAPPED = "keys.rewrapped"
AUDIT_DROPPED = "keys.dropped"
AUDIT_REINDEXED = "keys.reindexed"
AUDIT_INDEX_DROPPED = "keys.blind_index_dropped"

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


def _fail(message: str) -> NoReturn:
    err.print(message, style="red", markup=False)
    raise typer.Exit(1)


@contextmanager
def _errors(data_map: Path | None = None, url: str | None = None) -> Iterator[None]:
    """Known errors as one message and exit 1."""
    from yinsi.cli.rights_errors import KNOWN, describe
    from yinsi.security import SecurityError

    try:
        yield
    except SecurityError as exc:
        _fail(str(exc))
    except KNOWN as exc:
        _fail(describe(exc, data_map=data_map, url=url))


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
        _fail(
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
    import secrets

    from yinsi.security import FileKeySource, KeyState

    source = FileKeySource(key_file)
    what = "盲索引密钥" if blind_index else "加密密钥"
    with _errors():
        keys = source.load()
        ring = keys.blind_index if blind_index else keys.encryption
        old = ring.active.kid
        if activate is not None:
            if kid is not None or staged:
                _fail("--activate KID stands alone; it activates a key added with --staged")
            if ring.get(activate).state is KeyState.ACTIVE:
                ring_name = "blind-index" if blind_index else "encryption"
                _fail(f"key {activate!r} is already the active {ring_name} key")
            new_ring = ring.activate(activate)
            new = activate
        else:
            new = kid or _next_kid(keys, ring)
            taken = [k for r in (keys.encryption, keys.blind_index) for k in r.kids]
            clash = next((k for k in taken if k.lower() == new.lower()), None)
            if clash is not None:
                _fail(
                    f"key id {new!r} is taken ({clash!r} is in the key file; ids differing only "
                    "in case are refused too, as SQL LIKE may ignore case); choose another --kid"
                )
            new_ring = ring.add(new, secrets.token_bytes(32))
            if not staged:
                new_ring = new_ring.activate(new)
        if blind_index:
            source.save(replace(keys, blind_index=new_ring))
        else:
            source.save(replace(keys, encryption=new_ring))
    flag = " --blind-index" if blind_index else ""
    if staged:
        out.print(
            f"已添加{what} {new}（未启用，仅用于{'匹配查询' if blind_index else '解密'}）；"
            f"当前启用的仍是 {old}。将密钥文件分发到所有节点后，"
            f"运行 yinsi keys rotate --key-file {key_file}{flag} --activate {new}",
            markup=False,
        )
        return
    if blind_index:
        out.print(
            f"盲索引密钥 {new} 已启用；{old} 已停用（查询时仍可匹配旧索引）。下一步：yinsi keys "
            f"reindex --key-file {key_file} --map 数据清单.yaml，完成后 yinsi keys drop "
            f"--key-file {key_file} --map 数据清单.yaml --blind-index {old}",
            markup=False,
        )
        return
    out.print(
        f"加密密钥 {new} 已启用；{old} 已停用（仍可解密）。下一步：yinsi keys rewrap --key-file "
        f"{key_file} --map 数据清单.yaml，完成后 yinsi keys drop --key-file {key_file} --map "
        f"数据清单.yaml {old}",
        markup=False,
    )


def _data_map(path: Path) -> DataMap:
    from yinsi.declaration import DeclarationError
    from yinsi.declaration.datamap_checks import read_data_map

    data_map, problems = read_data_map(path)
    if data_map is None:
        raise DeclarationError(problems)
    return data_map


Job = TypeVar("Job", bound="SqlStoreJob")


@contextmanager
def _jobs(data_map: DataMap, kind: type[Job]) -> Iterator[_Stores[Job]]:
    stores = _Stores(data_map, kind)
    try:
        yield stores
    finally:
        stores.close()


class _Stores(Generic[Job]):
    """A job (a rewrapper, a reindexer) per SQL store of the data map, connected on first use."""

    def __init__(self, data_map: DataMap, kind: type[Job]) -> None:
        self._data_map = data_map
        self._kind = kind
        self._open: dict[str, Job] = {}

    def __getitem__(self, store_id: str) -> Job:
        found = self._open.get(store_id)
        if found is None:
            found = self._kind.connect(self._data_map.store(store_id))
            self._open[store_id] = found
        return found

    def close(self) -> None:
        with ExitStack() as stack:
            for job in self._open.values():
                stack.callback(job.close)


def _targets(data_map: DataMap) -> list[RewrapTarget]:
    from yinsi.connectors.rewrap import rewrap_targets

    targets = rewrap_targets(data_map)
    if not targets:
        _fail(
            "the data map marks no SQL column `encrypted: true`; mark the columns that hold "
            "yinsi tokens (yv1.…) under their dataset's fields"
        )
    return targets


def rewrap(
    key_file: KeyFile,
    data_map_path: MapFile,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Rows per transaction.")] = 500,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Field-encryption keys: rewrap every token not under the active key, in batches."""
    from yinsi.cli.common import db_url
    from yinsi.connectors.rewrap import SqlRewrapper
    from yinsi.security import FieldCipher
    from yinsi.services.root import Services

    with _errors(data_map_path, url):
        cipher = FieldCipher(_load(key_file).encryption)
        data_map = _data_map(data_map_path)
        targets = _targets(data_map)
        jobs = _jobs(data_map, SqlRewrapper)
        with Services.open(db_url(url), actor=actor) as engine, jobs as stores:
            counts = {t.dataset: stores[t.store].count(t, cipher.active_kid) for t in targets}
            with _progress() as progress:
                for t in targets:
                    total, per_column = counts[t.dataset]
                    task = progress.add_task(t.dataset, total=total)

                    def advance(result: BatchResult, task: TaskID = task) -> None:
                        progress.advance(task, result.seen)

                    done = stores[t.store].rewrap(t, cipher, size=batch, on_batch=advance)
                    _audit_rewrap(engine, data_map.app, actor, done)
                    _report(done, per_column)
    out.print("已记入审计日志。", markup=False)


def _progress() -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return Progress(*columns, TimeElapsedColumn(), console=err, transient=False)


def _audit_rewrap(engine: Services, app: str, actor: str, done: DatasetRewrap) -> None:
    """One audit entry per dataset and run (key ids and counts, never a value)."""
    t = done.target
    with engine.units() as uow:
        uow.audit.append(
            actor,
            AUDIT_REWRAPPED,
            app,
            None,
            details={
                "dataset": t.dataset,
                "store": t.store,
                "table": t.table,
                "columns": list(t.columns),
                "kid": done.kid,
                "rows": done.rows,
                "tokens": done.tokens,
                "remaining": done.remaining,
            },
        )
        uow.commit()


def _report(done: DatasetRewrap, per_column: list[ColumnCount]) -> None:
    left = f"，剩余 {done.remaining} 行（被锁定或期间被改写，请再次运行）" if done.remaining else ""
    out.print(
        f"{done.target.dataset}: {done.rows} 行 {done.tokens} 个密文已改用密钥 {done.kid}{left}",
        markup=False,
    )
    for c in per_column:
        if c.not_tokens:
            err.print(
                f"注意：{done.target.dataset}.{c.column} 有 {c.not_tokens} 个非空值不是 yinsi 密文"
                "（已擦除的值，或尚未加密的明文：请迁移）",
                markup=False,
            )


def _index_targets(data_map: DataMap) -> list[reindexing.ReindexTarget]:
    from yinsi.connectors.reindex import reindex_targets

    targets = reindex_targets(data_map)
    if not targets:
        _fail(
            "the data map names no blind index; give each encrypted field with one "
            "`blind_index: {column: …, kind: phone | id_number}` (and its `context`)"
        )
    return targets


def reindex(
    key_file: KeyFile,
    data_map_path: MapFile,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Rows per transaction.")] = 500,
    url: DbUrl = None,
    actor: Actor = "cli",
) -> None:
    """Field-encryption keys: recompute every blind index not under the active key, in batches."""
    from yinsi.cli.common import db_url
    from yinsi.connectors.reindex import SqlReindexer
    from yinsi.security import BlindIndex, FieldCipher
    from yinsi.services.root import Services

    with _errors(data_map_path, url):
        keys = _load(key_file)
        cipher, index = FieldCipher(keys.encryption), BlindIndex(keys.blind_index)
        data_map = _data_map(data_map_path)
        targets = _index_targets(data_map)
        jobs = _jobs(data_map, SqlReindexer)
        with Services.open(db_url(url), actor=actor) as engine, jobs as stores:
            counts = {t.dataset: stores[t.store].count(t, index.active_kid) for t in targets}
            with _progress() as progress:
                for t in targets:
                    total, per_column = counts[t.dataset]
                    task = progress.add_task(t.dataset, total=total)

                    def advance(result: reindexing.BatchResult, task: TaskID = task) -> None:
                        progress.advance(task, result.seen)

                    done = stores[t.store].reindex(t, cipher, index, size=batch, on_batch=advance)
                    _audit_reindex(engine, data_map.app, actor, done)
                    _report_reindex(done, per_column)
    out.print("已记入审计日志。", markup=False)


def _audit_reindex(engine: Services, app: str, actor: str, done: reindexing.DatasetReindex) -> None:
    """One audit entry per dataset and run (key ids and counts, never a value)."""
    t = done.target
    with engine.units() as uow:
        uow.audit.append(
            actor,
            AUDIT_REINDEXED,
            app,
            None,
            details={
                "dataset": t.dataset,
                "store": t.store,
                "table": t.table,
                "columns": [c.index_column for c in t.columns],
                "kid": done.kid,
                "rows": done.rows,
                "indexes": done.indexes,
                "remaining": done.remaining,
            },
        )
        uow.commit()


def _report_reindex(
    done: reindexing.DatasetReindex, per_column: list[reindexing.ReindexCount]
) -> None:
    left = f"，剩余 {done.remaining} 行" if done.remaining else ""
    out.print(
        f"{done.target.dataset}: {done.rows} 行 {done.indexes} 个盲索引已改用密钥 "
        f"{done.kid} 重算{left}",
        markup=False,
    )
    for c in per_column:
        if c.not_tokens:
            err.print(
                f"注意：{done.target.dataset}.{c.index_column} 有 {c.not_tokens} 个盲索引对应的值"
                "不是 yinsi 密文（已擦除或尚未加密），无法重算：请清除这些索引或先加密其值",
                markup=False,
            )


def drop(
    kid: Annotated[str, typer.Argument(metavar="KID", help="The retired key id.")],
    key_file: KeyFile,
    data_map_path: MapFile,
    url: DbUrl = None,
    actor: Actor = "cli",
    blind_index: BlindIndexFlag = False,
) -> None:
    """Field-encryption keys: remove a retired key, refused while any token (or index) uses it."""
    from yinsi.cli.common import db_url
    from yinsi.connectors.reindex import SqlReindexer
    from yinsi.connectors.rewrap import SqlRewrapper
    from yinsi.security import FileKeySource
    from yinsi.services.root import Services

    source = FileKeySource(key_file)
    with _errors(data_map_path, url):
        keys = source.load()
        data_map = _data_map(data_map_path)
        left: dict[str, int] = {}
        if blind_index:
            dropped = keys.drop_blind_index(kid)  # refuses an unknown or the active key
            index_targets = _index_targets(data_map)
            datasets = [t.dataset for t in index_targets]
            with _jobs(data_map, SqlReindexer) as reindexers:
                for it in index_targets:
                    for column, n in reindexers[it.store].count_under(it, kid).items():
                        left[f"{it.dataset}.{column}"] = n
        else:
            dropped = keys.drop_encryption(kid)  # refuses an unknown or the active key
            targets = _targets(data_map)
            datasets = [t.dataset for t in targets]
            with _jobs(data_map, SqlRewrapper) as rewrappers:
                for t in targets:
                    for column, n in rewrappers[t.store].count_under(t, kid).items():
                        left[f"{t.dataset}.{column}"] = n
        left = {name: n for name, n in left.items() if n}
        if left:
            where = "，".join(f"{name} {n} 个" for name, n in left.items())
            things, command = ("盲索引", "reindex") if blind_index else ("密文", "rewrap")
            _fail(
                f"不能删除密钥 {kid}：仍有 {sum(left.values())} 个{things}使用它（{where}）。请先运行 "
                f"yinsi keys {command} --key-file {key_file} --map {data_map_path}"
            )
        with Services.open(db_url(url), actor=actor) as services, services.units() as uow:
            uow.audit.append(
                actor,
                AUDIT_INDEX_DROPPED if blind_index else AUDIT_DROPPED,
                data_map.app,
                None,
                details={"kid": kid, "datasets": datasets},
            )
            source.save(dropped)
            uow.commit()
    if blind_index:
        out.print(f"已删除盲索引密钥 {kid}（数据清单中已无使用它的盲索引）。", markup=False)
    else:
        out.print(f"已删除加密密钥 {kid}（数据清单中已无使用它的密文）。", markup=False)
