"""The loader: YAML in, every problem out as FILE:LINE:COL, nothing lost, no tracebacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import DATA
from yinsi.cli.app import app
from yinsi.declaration import Declaration, DeclarationError, load, loads, read, read_file

runner = CliRunner()


def test_base_declaration_is_valid_without_warnings() -> None:
    loaded = read_file(DATA / "base.yaml")
    assert loaded.declaration is not None, [str(p) for p in loaded.problems]
    assert loaded.problems == []


def test_wrong_type_is_reported_with_file_line_and_column() -> None:
    text = (
        (DATA / "base.yaml")
        .read_text(encoding="utf-8")
        .replace("function: basic", "function: core")
    )
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "function: core" in t)
    with pytest.raises(DeclarationError) as exc:
        loads(text, "app.yaml")
    (problem,) = exc.value.problems
    assert (problem.file, problem.line) == ("app.yaml", line)
    assert problem.column == text.splitlines()[line - 1].index("core") + 1
    assert "scenarios[0].function" in str(problem) and "'core'" in str(problem)
    assert str(problem).startswith(f"app.yaml:{line}:")


def test_broken_cross_reference_is_reported_with_file_line() -> None:
    text = (
        (DATA / "base.yaml")
        .read_text(encoding="utf-8")
        .replace("retention: account", "retention: acount")
    )
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "retention: acount" in t)
    with pytest.raises(DeclarationError) as exc:
        loads(text, "app.yaml")
    (problem,) = exc.value.problems
    assert problem.line == line
    assert "unknown retention rule 'acount'; did you mean 'account'?" in problem.message


def test_all_errors_are_reported_not_only_the_first(
    base: dict[str, Any], dump: Callable[[dict[str, Any]], str]
) -> None:
    base["scenarios"][0]["purposes"] = ["no_such_purpose"]
    base["scenarios"][0]["elements"].append("no_such_element")
    base["sdks"][0]["consent"] = "no_such_consent"
    with pytest.raises(DeclarationError) as exc:
        loads(dump(base), "x.yaml")
    messages = " | ".join(p.message for p in exc.value.problems)
    assert "no_such_purpose" in messages
    assert "no_such_element" in messages
    assert "no_such_consent" in messages
    lines = [p.line for p in exc.value.problems]
    assert lines == sorted(lines), "problems come in file order"


def test_all_type_errors_are_reported_together(
    base: dict[str, Any], dump: Callable[[dict[str, Any]], str]
) -> None:
    base["policy"]["updated"] = "yesterday"
    base["scenarios"][0]["function"] = "core"
    base["app"]["colour"] = "red"
    with pytest.raises(DeclarationError) as exc:
        loads(dump(base), "x.yaml")
    paths = {p.path for p in exc.value.problems}
    assert ("policy", "updated") in paths
    assert ("scenarios", 0, "function") in paths
    assert ("app", "colour") in paths
    assert any("unknown key 'colour'" in p.message for p in exc.value.problems)


def test_missing_required_key_points_at_its_parent() -> None:
    text = (
        (DATA / "base.yaml")
        .read_text(encoding="utf-8")
        .replace("  service_model: 为用户匹配持牌资金方的借贷信息服务平台\n", "")
    )
    with pytest.raises(DeclarationError) as exc:
        loads(text, "x.yaml")
    (problem,) = exc.value.problems
    assert problem.message == "missing required key 'service_model'"
    assert problem.line == 3  # the `app:` mapping that lacks it


def test_duplicate_key_is_an_error_not_a_silent_overwrite() -> None:
    text = (
        (DATA / "base.yaml")
        .read_text(encoding="utf-8")
        .replace("  name: 示例贷\n", "  name: 示例贷\n  name: 另一个名字\n")
    )
    with pytest.raises(DeclarationError) as exc:
        loads(text, "x.yaml")
    (problem,) = exc.value.problems
    assert "duplicate key 'name'" in problem.message
    assert problem.line == 6


def test_yaml_syntax_error_has_position() -> None:
    with pytest.raises(DeclarationError) as exc:
        loads("app:\n  id: [unclosed\n", "bad.yaml")
    (problem,) = exc.value.problems
    assert problem.file == "bad.yaml" and problem.line >= 2
    assert problem.message.startswith("YAML syntax error")


def test_top_level_must_be_a_mapping() -> None:
    loaded = read("- just\n- a list\n", "list.yaml")
    assert loaded.declaration is None
    assert "mapping" in loaded.problems[0].message


def test_missing_and_undecodable_files_are_problems(tmp_path: Path) -> None:
    assert read_file(tmp_path / "nope.yaml").problems[0].message == "file not found"
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert "UTF-8" in read_file(binary).problems[0].message
    with pytest.raises(DeclarationError):
        load(tmp_path / "nope.yaml")


def test_durations_parse_and_reject_nonsense(
    base: dict[str, Any], dump: Callable[[dict[str, Any]], str]
) -> None:
    d = loads(dump(base))
    assert isinstance(d, Declaration)
    assert str(d.retention[0].period) == "5y" and d.retention[0].period is not None
    assert d.retention[0].period.label == "5年"
    base["retention"][0]["period"] = "forever"
    with pytest.raises(DeclarationError) as exc:
        loads(dump(base))
    assert "invalid duration 'forever'" in str(exc.value)


def test_a_retention_period_says_its_modality(
    base: dict[str, Any], dump: Callable[[dict[str, Any]], str]
) -> None:
    """ "最长不超过5年" is not "保存5年": a period without `bound` is an error, in place."""
    del base["retention"][0]["bound"]
    text = dump(base)
    with pytest.raises(DeclarationError) as exc:
        loads(text, "app.yaml")
    (problem,) = exc.value.problems
    assert problem.path == ("retention", 0)
    assert "bound: at_most" in problem.message and "bound: exactly" in problem.message
    # No start and no end action are statements nobody made: both may be left out.
    base["retention"][0].update(bound="at_most")
    del base["retention"][0]["starts"], base["retention"][0]["then"]
    rule = loads(dump(base)).retention[0]
    assert rule.bound is not None and rule.bound.label == "最长不超过"
    assert rule.starts is None and rule.then is None


def test_deadlines_consent_kinds_and_likelihood_load_as_declared(
    base: dict[str, Any], dump: Callable[[dict[str, Any]], str]
) -> None:
    base["rights"]["items"][0]["deadline"] = {
        "working_days": 15,
        "verb": "process",
        "qualifier": "in_principle",
        "counted_from": "receipt_and_verification",
    }
    base["consents"].append({"id": "camera", "label": "相机权限", "kind": "permission_prompt"})
    base["consents"].append({"id": "sub", "label": "子产品", "kind": "deemed"})
    base["recipients"][0]["likelihood"] = "may"
    base["h5_links"] = [{"id": "pages", "name": "第三方创建的网页", "note": "可能通过Cookie收集"}]
    d = loads(dump(base))
    deadline = d.rights.items[0].deadline
    assert deadline is not None and deadline.verb is not None
    assert (deadline.verb.label, deadline.counted_from) == (
        "对您的请求进行处理",
        "receipt_and_verification",
    )
    kinds = {c.id: c.kind for c in d.consents}
    assert not kinds["camera"].is_separate and kinds["sub"].label == "视为同意"
    assert d.recipients[0].likelihood is not None and d.recipients[0].likelihood.value == "may"
    assert d.h5_links[0].domain == ""
    base["rights"]["items"][0]["deadline"]["verb"] = "reply_soon"
    with pytest.raises(DeclarationError, match=r"rights\.items"):
        loads(dump(base))


def test_cli_validate_reports_errors_with_exit_code_1_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (DATA / "base.yaml")
        .read_text(encoding="utf-8")
        .replace("kind: affiliate", "kind: partner"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and "recipients[0].kind" in result.output
    assert "Traceback" not in result.output


def test_cli_validate_accepts_several_files_and_reports_each(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(DATA / "base.yaml"), str(tmp_path / "gone.yaml")])
    assert result.exit_code == 1
    assert "✓" in result.output and "file not found" in result.output


def test_cli_schema_is_json_schema() -> None:
    import json

    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "Declaration" and "scenarios" in schema["properties"]


def test_cli_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("yinsi ")


def test_cli_prints_positions_literally_never_as_emoji(tmp_path: Path) -> None:
    text = (DATA / "base.yaml").read_text(encoding="utf-8")
    padded = "\n" * 100 + text.replace("function: basic", "function: core")
    bad = tmp_path / "bad.yaml"
    bad.write_text(padded, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad)])
    line = next(i for i, t in enumerate(padded.splitlines(), 1) if "function: core" in t)
    assert f"{bad}:{line}:" in result.output


def test_cli_validate_runs_the_policy_completeness_check(tmp_path: Path) -> None:
    text = (DATA / "base.yaml").read_text(encoding="utf-8")
    no_period = tmp_path / "no-period.yaml"
    no_period.write_text(text.replace("period: 5y, ", ""), encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "period: 5y" in t)
    result = runner.invoke(app, ["validate", str(no_period)])
    assert result.exit_code == 0
    assert f"{no_period}:{line}:5: warning: retention[0].period" in result.output
    assert "网络数据安全管理条例 Art. 21" in result.output
    assert runner.invoke(app, ["validate", "--strict", str(no_period)]).exit_code == 1
    assert runner.invoke(app, ["validate", "--strict", str(DATA / "base.yaml")]).exit_code == 0
