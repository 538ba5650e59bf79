"""``yinsi lint``: text, JSON and SARIF 2.1.0, rule selection, exit codes; ``validate``
runs the same rules and shows the same ids."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.declaration.lint import RULES, Example
from yinsi.declaration.lint.examples import example_text

runner = CliRunner()


def write(tmp_path: Path, fragment: str = "", *replaces: str, name: str = "app.yaml") -> Path:
    """The clean base declaration of the rules' examples, with ``fragment`` merged in."""
    path = tmp_path / name
    path.write_text(example_text(Example(fragment, replaces)), encoding="utf-8")
    return path


def without_officer(tmp_path: Path) -> Path:
    return write(tmp_path, "contacts: {pi_protection_officer: null}\n" + SENSITIVE)


SENSITIVE = (
    "consents: [{id: identity, label: 身份信息单独同意, kind: separate, elements: [id_number]}]\n"
    "scenarios: [{id: signup, elements: [mobile_number, id_number], consents: [policy, identity]}]"
)


def test_text_output_places_each_finding_and_names_its_rule(tmp_path: Path) -> None:
    path = without_officer(tmp_path)
    result = runner.invoke(app, ["lint", str(path)])
    assert result.exit_code == 0, result.output  # warnings only
    (line,) = [x for x in result.stdout.splitlines() if x.endswith("[pi-officer]")]
    assert line.startswith(f"{path}:") and ": warning: contacts: " in line
    assert "PIPL Art. 52" in line
    assert "1 file: 0 errors, 1 warning" in result.stderr


def test_a_clean_declaration_lints_clean(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", str(write(tmp_path)), "--strict"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_errors_and_strict_warnings_exit_1(tmp_path: Path) -> None:
    broken = write(tmp_path, "consents: [{id: policy, kind: odd}]")
    result = runner.invoke(app, ["lint", str(broken)])
    assert result.exit_code == 1 and "[schema]" in result.stdout
    assert runner.invoke(app, ["lint", "--strict", str(without_officer(tmp_path))]).exit_code == 1


def test_json_is_a_list_of_findings_with_rule_and_citations(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", "--format", "json", str(without_officer(tmp_path))])
    (finding,) = json.loads(result.stdout)
    assert finding["rule"] == "pi-officer" and finding["severity"] == "warning"
    assert finding["citations"] == ["PIPL Art. 52 para. 2"]
    assert finding["path"] == "contacts" and finding["line"] > 0 and finding["column"] > 0


def test_sarif_2_1_0_has_every_rule_and_physical_locations(tmp_path: Path) -> None:
    path = without_officer(tmp_path)
    result = runner.invoke(
        app, ["lint", "--format", "sarif", "--docs-url", "https://example.org/rules", str(path)]
    )
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in RULES]
    for descriptor in rules:
        assert descriptor["helpUri"] == f"https://example.org/rules#{descriptor['id']}"
        assert descriptor["fullDescription"]["text"] and descriptor["shortDescription"]["text"]
        assert descriptor["properties"]["citations"]
        assert descriptor["defaultConfiguration"]["level"] in ("error", "warning")
    (res,) = run["results"]
    assert res["ruleId"] == "pi-officer" and rules[res["ruleIndex"]]["id"] == "pi-officer"
    assert res["level"] == "warning" and "PIPL Art. 52" in res["message"]["text"]
    physical = res["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"].endswith("app.yaml")
    assert physical["region"]["startLine"] > 0 and physical["region"]["startColumn"] > 0
    assert res["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": "contacts"}]


def test_sarif_of_an_unreadable_file_has_no_region(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", "--format", "sarif", str(tmp_path / "gone.yaml")])
    assert result.exit_code == 1
    (res,) = json.loads(result.stdout)["runs"][0]["results"]
    assert res["ruleId"] == "schema" and "region" not in res["locations"][0]["physicalLocation"]


def test_rule_selects_findings_and_unknown_rules_are_refused(tmp_path: Path) -> None:
    path = without_officer(tmp_path)
    assert runner.invoke(app, ["lint", "--rule", "sdk-role", str(path)]).stdout == ""
    result = runner.invoke(app, ["lint", "--rule", "pi-officer", "--rule", "sdk-role", str(path)])
    assert result.stdout.count("[pi-officer]") == 1
    refused = runner.invoke(app, ["lint", "--rule", "no-such-rule", str(path)])
    assert refused.exit_code == 1 and "unknown rule no-such-rule" in refused.stderr


def test_several_files_are_linted_in_turn(tmp_path: Path) -> None:
    a, b = without_officer(tmp_path), write(tmp_path, name="clean.yaml")
    result = runner.invoke(app, ["lint", str(a), str(b)])
    assert "2 files: 0 errors, 1 warning" in result.stderr


def test_validate_runs_the_same_rules_and_prints_their_ids(tmp_path: Path) -> None:
    path = without_officer(tmp_path)
    validated = runner.invoke(app, ["validate", str(path)])
    linted = runner.invoke(app, ["lint", str(path)])
    assert validated.exit_code == 0
    problems = [x for x in linted.stdout.splitlines() if x.strip()]
    assert problems and all(line in validated.output for line in problems)


def test_a_missing_right_is_reported_once_citing_both_laws(tmp_path: Path) -> None:
    path = write(tmp_path, "rights: {items: [{id: access, kind: copy}]}")
    result = runner.invoke(app, ["validate", str(path)])
    (line,) = [x for x in result.output.splitlines() if "查阅" in x]
    assert "PIPL Art. 45" in line and "网络数据安全管理条例 Art. 21 (4)" in line
    assert line.endswith("[right-missing]")


def test_a_refinement_is_reported_within_the_finding_it_refines(tmp_path: Path) -> None:
    """A permission prompt where separate consent is needed: one line, both messages."""
    path = write(
        tmp_path,
        "consents: [{id: camera, label: 相机权限, kind: permission_prompt, elements: [face]}]\n"
        "scenarios: [{id: signup, elements: [mobile_number, face], consents: [policy, camera]}]\n"
        "waivers: [{rule: separate-consent, id: signup, reason: 原政策如此}]",
    )
    result = runner.invoke(app, ["lint", str(path)])
    (line,) = [x for x in result.stdout.splitlines() if "'face'" in x]
    assert line.endswith("[separate-consent]") and "(also consent-mechanism: " in line
    assert "waived (separate-consent): 原政策如此" in line
    alone = runner.invoke(app, ["lint", "--rule", "consent-mechanism", str(path)])
    assert alone.stdout.count("[consent-mechanism]") == 1


def test_validate_counts_the_warnings_it_prints() -> None:
    """A refinement merged into the finding it refines (``consent-mechanism`` beside
    ``separate-consent``) is one printed line; the summary counted it twice."""
    root = Path(__file__).resolve().parent.parent
    for name in ("wolai-shuke.yaml", "xiaoying-kadai.yaml"):
        result = runner.invoke(app, ["validate", str(root / "examples" / "declarations" / name)])
        printed = sum(": warning: " in line for line in result.output.splitlines())
        summary = result.output.strip().splitlines()[-1]
        said = int(summary.rsplit(", ", 1)[1].split()[0]) if "warning" in summary else 0
        assert said == printed, summary
        lint = runner.invoke(app, ["lint", str(root / "examples" / "declarations" / name)])
        assert f"{printed} warning" in lint.output.strip().splitlines()[-1]
