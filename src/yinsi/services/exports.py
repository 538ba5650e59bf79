"""Export archives at rest: private files, optional encryption, expiry and audited deletion.

An access, copy or transfer request's archive holds the subject's PI in full, so:

- every folder yinsi makes for exports is mode 0700 and every file 0600, whatever the
  process's umask (:func:`private_folder`, :func:`write_private`: created with
  ``os.open`` modes, then ``chmod``/``fchmod``);
- files are written to a temporary file in the same folder, flushed to disk and renamed;
  the temporary file is removed on every error; the per-dataset parts a run collects are
  removed once the archive is written (and by :meth:`ExportService.purge` if a run never
  finishes);
- with ``exports.encrypt`` the archive is a WinZip AES-256 ZIP under a random passphrase
  the subject sees in the privacy center (:mod:`yinsi.rights.export_crypto`);
- each archive expires ``exports.retention_days`` after it was made: the privacy center
  then refuses it in Chinese, and ``yinsi rights purge-exports`` (cron / systemd timer)
  deletes it and writes one audit entry (``rights.export_deleted``) per archive.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from yinsi.rights.export_crypto import encrypt_zip, passphrase
from yinsi.services.clock import Clock, utc_now
from yinsi.settings.exports import ExportSettings
from yinsi.storage import UnitsOfWork
from yinsi.storage.export_ports import ExportFile

__all__ = [
    "ExportExpired",
    "ExportFile",
    "ExportService",
    "PurgeReport",
    "private_folder",
    "write_private",
]


class ExportExpired(LookupError):
    """The archive's download period is over (it is, or will shortly be, deleted)."""

    def __init__(self, request_id: str) -> None:
        super().__init__(
            "该个人信息副本已超过下载期限并已删除（为保护您的个人信息，副本只保存有限时间）。"
            "如仍需要，请重新提交查阅或复制申请。"
        )
        self.request_id = request_id


def private_folder(path: Path) -> Path:
    """Make ``path`` (and missing parents) and set it to 0700 whatever the umask."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_private(target: Path, data: bytes) -> None:
    """Write ``target`` atomically with mode 0600: a temporary file in the same folder,
    fsync, rename, fsync of the folder; the temporary file never survives an error."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a purge deleted: archives (each audited) and abandoned staging folders."""

    archives: tuple[str, ...]
    staging: tuple[str, ...]


class ExportService:
    """The archives of one process's export folder (``services.exports``)."""

    def __init__(
        self,
        units: UnitsOfWork,
        folder: Path,
        *,
        settings: ExportSettings | None = None,
        clock: Clock = utc_now,
        actor: str = "cli",
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._units = units
        self.folder = folder
        self.settings = settings or ExportSettings()
        self._clock = clock
        self._actor = actor
        self._wall = wall

    def path(self, request_id: str) -> Path:
        return self.folder / f"{request_id}.zip"

    def parts(self, request_id: str) -> Path:
        """Where a run collects the request's datasets before the archive is made."""
        return self.folder / request_id

    def write_part(self, request_id: str, dataset: str, data: bytes) -> None:
        private_folder(self.folder)
        write_private(private_folder(self.parts(request_id)) / f"{dataset}.json", data)

    def write(self, request_id: str, app_id: str, subject_id: str, data: bytes) -> Path:
        """Store the archive of ``request_id`` (encrypted when configured), record its
        expiry, then remove the parts it was made from; the archive's path."""
        secret = passphrase() if self.settings.encrypt else None
        target = self.path(request_id)
        private_folder(self.folder)
        write_private(target, encrypt_zip(data, secret) if secret else data)
        now = self._clock()
        # the period starts when the file is written: a backdated clock (the demo seeds
        # requests weeks ago) must not make a fresh archive born expired
        written = max(now, datetime.now(UTC))
        expires = written + timedelta(days=self.settings.retention_days)
        export = ExportFile(
            request_id, app_id, subject_id, target.name, now, expires, secret is not None, secret
        )
        with self._units() as uow:
            uow.exports.save(export)
            uow.commit()
        shutil.rmtree(self.parts(request_id), ignore_errors=True)
        return target

    def now(self) -> datetime:
        return self._clock()

    def get(self, request_id: str) -> ExportFile | None:
        with self._units(read_only=True) as uow:
            return uow.exports.get(request_id)

    def download(self, request_id: str) -> tuple[Path, ExportFile | None]:
        """The archive to send and its record (None for one made before expiry was
        recorded); raises :class:`ExportExpired` after its period, FileNotFoundError when
        there is none."""
        export = self.get(request_id)
        if export is not None and export.expired(self._clock()):
            raise ExportExpired(request_id)
        path = self.path(request_id)
        if not path.is_file():
            raise FileNotFoundError(path)
        return path, export

    def purge(self) -> PurgeReport:
        """Delete every expired archive (one audit entry each) and every staging folder
        untouched for the retention period (a run that never finished)."""
        with self._units(read_only=True) as uow:
            due = uow.exports.due(self._clock())
        deleted: list[str] = []
        for export in due:
            (self.folder / export.file_name).unlink(missing_ok=True)
            shutil.rmtree(self.parts(export.request_id), ignore_errors=True)
            with self._units() as uow:
                uow.exports.mark_deleted(export.request_id, self._actor)
                uow.commit()
            deleted.append(export.request_id)
        return PurgeReport(tuple(deleted), tuple(self._purge_staging()))

    def _purge_staging(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        cutoff = self._wall() - self.settings.retention_days * 86400
        removed = []
        for entry in sorted(self.folder.iterdir()):
            stale = entry.stat().st_mtime < cutoff
            if stale and (entry.is_dir() or entry.name.endswith(".tmp")):
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed.append(entry.name)
        return removed
