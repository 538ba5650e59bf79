"""How a ``yinsi keys`` sweep shows on the terminal: the progress bar and the per-dataset
report (for :mod:`yinsi.cli.field_keys`; the sweep itself is
:class:`~yinsi.services.field_keys.FieldKeyService`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from yinsi.cli.common import err, out

if TYPE_CHECKING:
    from rich.progress import TaskID

    from yinsi.services.field_keys import ColumnCount, DatasetReindex, DatasetRewrap, ReindexCount

__all__ = ["SweepBar", "report_reindex", "report_rewrap"]


class SweepBar:
    """A bar per dataset of a sweep (on standard error), fed by the service's
    ``on_dataset``/``on_batch`` callbacks.

    It starts with the first dataset, once the service has counted them all: an error
    while counting leaves no empty bar behind. Leaving the ``with`` block stops it.
    """

    def __init__(self) -> None:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        self._bar = Progress(*columns, TimeElapsedColumn(), console=err, transient=False)
        self._tasks: dict[str, TaskID] = {}

    def dataset(self, name: str, total: int) -> None:
        if not self._tasks:
            self._bar.start()
        self._tasks[name] = self._bar.add_task(name, total=total)

    def batch(self, name: str, seen: int) -> None:
        self._bar.advance(self._tasks[name], seen)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._bar.stop()


def report_rewrap(done: DatasetRewrap, per_column: list[ColumnCount]) -> None:
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


def report_reindex(done: DatasetReindex, per_column: list[ReindexCount]) -> None:
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
