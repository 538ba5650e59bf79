"""``yinsi rights run --approved``: every approved request of the app in one batch."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from erasure_sets_fixtures import ENV, SUBJECTS, approved, cells, fill, open_copy
from yinsi.cli.app import app
from yinsi.rights.requests import Status
from yinsi.rights.verification import Method

runner = CliRunner()


def test_run_approved_runs_every_approved_request_as_one_run_each(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    fill(url)
    with open_copy(url, "a", tmp_path) as services:
        ids = [approved(services, s, n) for n, s in enumerate(SUBJECTS[:3], start=1)]
        waiting = services.rights.submit(SUBJECTS[4], "deletion", trigger="purpose_done").id
    with open_copy(url, "b", tmp_path) as services:
        for n, s in enumerate(SUBJECTS[:3], start=1):
            services.rights.run(approved(services, s, n), actor="test")
    base = ["rights", "run", "--map", str(tmp_path / "a" / "datamap.yaml")]
    base += ["--url", f"sqlite:///{tmp_path / 'a' / 'yinsi.db'}"]
    env = {ENV: url}

    wrong = runner.invoke(app, [*base, "--approved", "--app", "other_app"], env=env)
    assert wrong.exit_code == 1 and "xiaoying_kadai" in wrong.output
    both = runner.invoke(app, [*base, ids[0], "--approved"], env=env)
    assert both.exit_code == 1 and "not both" in both.output

    first = runner.invoke(app, [*base, "--approved", "--limit", "2"], env=env)
    assert first.exit_code == 0, first.output
    assert "共 2 个请求：2 个已办结" in first.output
    rest = runner.invoke(app, [*base, "--approved", "--app", "xiaoying_kadai"], env=env)
    assert rest.exit_code == 0, rest.output
    assert "共 1 个请求：1 个已办结" in rest.output
    none = runner.invoke(app, [*base, "--approved"], env=env)
    assert none.exit_code == 0 and "没有待执行的请求" in none.output

    assert cells(url, "a") == cells(url, "b")
    with open_copy(url, "a", tmp_path) as services:
        assert {services.rights.get(i).status for i in ids} == {Status.COMPLETED}
        assert services.rights.get(waiting).status is Status.RECEIVED  # not approved: left


def test_x36_a_complaint_waiting_for_its_answer_neither_fails_the_batch_nor_runs_again(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    fill(url)
    with open_copy(url, "a", tmp_path) as services:
        rights = services.rights
        complaint = rights.submit(SUBJECTS[0], "complaint", text="客服态度差").id
        rights.verify(complaint, "010001", method=Method.ID_SUFFIX)
        rights.approve(complaint, actor="test")
    base = ["rights", "run", "--map", str(tmp_path / "a" / "datamap.yaml")]
    base += ["--url", f"sqlite:///{tmp_path / 'a' / 'yinsi.db'}", "--approved"]
    env = {ENV: url}

    ran = runner.invoke(app, base, env=env)
    assert ran.exit_code == 0, ran.output  # waiting for a person is not a failed step
    assert f"{complaint}：正在执行，待人工答复" in ran.output
    assert "0 个执行失败，1 个待人工答复" in ran.output
    again = runner.invoke(app, base, env=env)  # it waits for `yinsi rights answer`
    assert again.exit_code == 0 and "没有待执行的请求" in again.output, again.output
    with open_copy(url, "a", tmp_path) as services:
        assert services.rights.get(complaint).status is Status.EXECUTING
