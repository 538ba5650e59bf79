"""Audit anchors (issue 14): signed checkpoints of the chain head kept outside the database.

The attack of the review, on SQLite and PostgreSQL: with the database owner's rights,
drop the guards, delete the newest entries, rewrite the new last entry with a recomputed
hash and move the head row to it. The chain alone then verifies; ``yinsi audit verify
--anchor`` names what is wrong and exits 1. TRUNCATE is refused on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from audit_tamper import drop_guards, fill, set_field
from yinsi.cli.app import app
from yinsi.security.audit import entry_hash
from yinsi.storage import SqlUnitOfWork
from yinsi.storage.tables import AuditEntryRow, AuditHeadRow

pytest_plugins = ["storage_fixtures"]

runner = CliRunner()


@pytest.fixture
def anchored(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A key made by `yinsi audit anchor-key` in a folder outside the database's."""
    keys = tmp_path / "keys"
    monkeypatch.setenv("YINSI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("YINSI_AUDIT__ANCHOR_KEY_FILE", str(keys / "anchor.key"))
    monkeypatch.setenv("YINSI_AUDIT__ANCHOR_FILE", str(tmp_path / "worm" / "anchors.jsonl"))
    monkeypatch.setenv("YINSI_DATABASE_URL", engine.url.render_as_string(False))
    done = runner.invoke(app, ["audit", "anchor-key"])
    assert done.exit_code == 0, done.output
    assert stat.S_IMODE(os.stat(keys / "anchor.key").st_mode) == 0o600
    assert (keys / "anchor.key.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY")
    return tmp_path / "worm" / "anchors.jsonl"


def _anchor() -> None:
    done = runner.invoke(app, ["audit", "anchor"])
    assert done.exit_code == 0, done.output


def _verify(anchor_file: Path | None) -> tuple[int, str]:
    args = ["audit", "verify"] + (["--anchor", str(anchor_file)] if anchor_file else [])
    done = runner.invoke(app, args)
    assert "Traceback" not in done.output
    return done.exit_code, done.output


def _truncate_tail_and_rewrite_head(engine: Engine, delete: int) -> None:
    """Delete the ``delete`` newest rows, rewrite the new last one (hash recomputed) and
    move the head row to it: what leaves the chain itself intact."""
    drop_guards(engine)
    with SqlUnitOfWork(engine) as uow:
        entries = list(uow.audit.entries())
    keep = entries[: len(entries) - delete]
    last = keep[-1]
    forged = replace(last, actor="key_ops", details={"consent_id": "face", "note": "nothing"})
    forged = replace(forged, hash=entry_hash(forged))
    with engine.begin() as conn:
        conn.execute(sa.delete(AuditEntryRow).where(AuditEntryRow.seq > last.seq))
        conn.execute(
            set_field(
                last.seq,
                actor=forged.actor,
                details=json.dumps(dict(forged.details), sort_keys=True, separators=(",", ":")),
                hash=forged.hash,
            )
        )
        conn.execute(sa.update(AuditHeadRow).values(seq=last.seq, hash=forged.hash))


def test_x41_truncating_the_tail_and_rewriting_the_head_is_reported_by_anchors(
    engine: Engine, anchored: Path
) -> None:
    fill(engine, 6)
    _anchor()  # seq 6
    fill(engine, 4)
    _anchor()  # seq 10
    assert _verify(anchored)[0] == 0
    _truncate_tail_and_rewrite_head(engine, delete=5)  # keeps 1..5, rewrites 5
    code, output = _verify(None)
    assert code == 0 and "audit chain intact: 5 entries" in output  # the chain alone is fooled
    code, output = _verify(anchored)
    assert code == 1
    assert "anchor line 1: entries deleted at the end" in output
    assert "anchor line 2: entries deleted at the end" in output
    assert "saw 10 entries up to seq 10, the log now ends at seq 5" in output
    assert "audit log contradicts its anchors: 2 problem(s) with 2 anchor(s)" in output


def test_x41_a_head_rewritten_with_a_recomputed_chain_is_reported(
    engine: Engine, anchored: Path
) -> None:
    fill(engine, 8)
    _anchor()  # seq 8
    _truncate_tail_and_rewrite_head(engine, delete=0)  # rewrites seq 8 in place
    code, output = _verify(anchored)
    assert code == 1
    assert "anchor line 1: entry seq 8 rewritten" in output


def test_x41_appending_past_a_forged_tail_is_still_reported(engine: Engine, anchored: Path) -> None:
    fill(engine, 5)
    _anchor()
    _truncate_tail_and_rewrite_head(engine, delete=2)
    fill(engine, 4)  # the attacker pads the log back past the anchored seq
    code, output = _verify(anchored)
    assert code == 1 and "entry seq 5 rewritten" in output


def test_an_edited_or_foreign_anchor_is_refused(engine: Engine, anchored: Path) -> None:
    fill(engine, 3)
    _anchor()
    line = json.loads(anchored.read_text(encoding="utf-8"))
    line["entries"] = 2
    anchored.write_text(json.dumps(line) + "\nnot json\n", encoding="utf-8")
    code, output = _verify(anchored)
    assert code == 1
    assert "anchor line 1: signature does not verify" in output
    assert "anchor line 2: not an anchor" in output


def test_anchor_refuses_a_broken_chain_and_a_contradicted_anchor_file(
    engine: Engine, anchored: Path
) -> None:
    fill(engine, 4)
    _anchor()
    _truncate_tail_and_rewrite_head(engine, delete=1)
    done = runner.invoke(app, ["audit", "anchor"])
    assert done.exit_code == 1
    assert "contradicts earlier anchors" in done.output
    assert len(anchored.read_text(encoding="utf-8").splitlines()) == 1


def test_missing_key_and_missing_anchor_file_say_what_to_do(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YINSI_HOME", str(tmp_path))
    monkeypatch.setenv("YINSI_DATABASE_URL", engine.url.render_as_string(False))
    done = runner.invoke(app, ["audit", "anchor"])
    assert done.exit_code == 1 and "yinsi audit anchor-key" in done.output
    code, output = _verify(tmp_path / "nowhere.jsonl")
    assert code == 1 and "anchors are written by `yinsi audit anchor`" in output


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.received.clear()
    yield f"http://127.0.0.1:{server.server_port}/anchors"
    server.shutdown()
    server.server_close()


def test_anchors_are_posted_to_the_webhook(
    engine: Engine, anchored: Path, webhook: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YINSI_AUDIT__ANCHOR_WEBHOOK_URL", webhook)
    fill(engine, 2)
    _anchor()
    (posted,) = _Receiver.received
    assert posted == json.loads(anchored.read_text(encoding="utf-8"))
    assert posted["seq"] == 2 and posted["entries"] == 2 and posted["signature"]


def test_truncate_is_refused_on_postgresql(engine: Engine) -> None:
    fill(engine, 2)
    if engine.dialect.name != "postgresql":
        statement = "DELETE FROM audit_head"  # SQLite has no TRUNCATE: the head row is kept
    else:
        for table in ("audit_entries", "audit_head"):
            with engine.connect() as conn, pytest.raises(DBAPIError, match="cannot be truncated"):
                conn.execute(sa.text(f"TRUNCATE {table}"))
        statement = "DELETE FROM audit_head"
    with engine.connect() as conn, pytest.raises(DBAPIError, match=r"never removed|truncated"):
        conn.execute(sa.text(statement))
    with SqlUnitOfWork(engine) as uow:
        assert len(list(uow.audit.entries())) == 2


def test_a_missing_head_row_gives_a_clear_message(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(engine, 1)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP TRIGGER audit_head_no_delete ON audit_head"))
        else:
            conn.execute(sa.text("DROP TRIGGER audit_head_no_delete"))
        conn.execute(sa.delete(AuditHeadRow))
    monkeypatch.setenv("YINSI_DATABASE_URL", engine.url.render_as_string(False))
    code, output = _verify(None)
    assert code == 1
    assert "the audit log has no head row" in output and "NoResultFound" not in output


def test_an_empty_audit_says_so(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINSI_DATABASE_URL", engine.url.render_as_string(False))
    code, output = _verify(None)
    assert code == 0 and "the audit log is empty" in output


def test_api_verify_answers_409_with_a_clear_message_when_the_head_row_is_missing(
    engine: Engine,
) -> None:
    from fastapi.testclient import TestClient

    from yinsi.security.api_keys import Scope
    from yinsi.server import create_app
    from yinsi.services.root import Services

    with SqlUnitOfWork(engine) as uow:
        _, secret = uow.api_keys.create("auditor", [Scope.AUDITOR])
        uow.commit()
    services = Services(engine, actor="api")
    auth = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(services)) as client:
        intact = client.get("/v1/audit/verify", headers=auth)
        assert intact.status_code == 200 and intact.json()["intact"] is True
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("DROP TRIGGER audit_head_no_delete ON audit_head"))
            else:
                conn.execute(sa.text("DROP TRIGGER audit_head_no_delete"))
            conn.execute(sa.delete(AuditHeadRow))
        answer = client.get("/v1/audit/verify", headers=auth)
    assert answer.status_code == 409
    assert "the audit log has no head row" in answer.text
