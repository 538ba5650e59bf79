"""``yinsi scan``: per-file counts, places and masked snippets; exit 1 when PI is found."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.taxonomy.detectors.finding import KIND_NAMES, KINDS
from yinsi.taxonomy.formats import check_character

runner = CliRunner()
ID = "11010519900307123" + check_character("11010519900307123")
MOBILE = "13812345678"


def test_text_output_counts_places_and_masks(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(f"2026-12-06 INFO start\n用户手机{MOBILE}，身份证{ID}\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", str(log)])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{log}: 2 处个人信息（手机号码 1，身份证号码 1）"
    assert lines[1].startswith("  2:5  手机号码  ") and "138****5678" in lines[1]
    assert lines[2].startswith("  2:20  身份证号码  ") and "110105********1239" in lines[2]
    assert MOBILE not in result.output and ID not in result.output
    assert "发现 2 处个人信息" in result.stderr


def test_every_kind_has_a_name_in_the_text_output(tmp_path: Path) -> None:
    """A QQ number or a WeChat id in the text output (it raised KeyError: the kinds had no
    name where ``yinsi scan`` printed them)."""
    assert set(KIND_NAMES) == set(KINDS)
    log = tmp_path / "ticket.txt"
    log.write_text("客户微信号 wxm_1990；QQ：123456789。\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", str(log)])
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[0] == f"{log}: 2 处个人信息（微信号 1，QQ号码 1）"
    assert "wxm_1990" not in result.output and "123456789" not in result.output


def test_a_clean_folder_exits_0_and_binary_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "readme.md").write_text(
        "版本1.2.3.4，订单号6222021234567890128\n", encoding="utf-8"
    )
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\x00\x00binary")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "secret.txt").write_text(f"手机{MOBILE}", encoding="utf-8")
    result = runner.invoke(app, ["scan", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{tmp_path / 'readme.md'}: 未发现个人信息"


def test_csv_json_gb18030_and_xlsx(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(f"姓名,手机\n张伟,{MOBILE}\n", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"email": "zhang@qq.com"}), encoding="utf-8")
    (tmp_path / "c.txt").write_bytes("联系人：欧阳娜娜\n".encode("gb18030"))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "客户"
    sheet["B3"] = f"身份证{ID}"
    book.save(tmp_path / "d.xlsx")
    result = runner.invoke(app, ["scan", "--format", "json", str(tmp_path)])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    by_file = {Path(f["path"]).name: f for f in report["files"]}
    assert by_file["a.csv"]["counts"] == {"person_name": 1, "mobile": 1}  # 姓名: a header
    assert [f["where"] for f in by_file["a.csv"]["findings"]] == ["2:1", "2:4"]
    assert by_file["b.json"]["findings"][0]["snippet"].count("z***@qq.com") == 1
    assert by_file["c.txt"]["findings"][0]["kind"] == "person_name"
    assert "欧阳**" in by_file["c.txt"]["findings"][0]["snippet"]
    (cell,) = by_file["d.xlsx"]["findings"]
    assert cell["where"] == "客户!B3" and cell["element"] == "id_number"
    assert report["found"] == 5
    assert MOBILE not in result.stdout and ID not in result.stdout and "娜娜" not in result.stdout


def test_escaped_json_is_read_as_what_it_says(tmp_path: Path) -> None:
    document = {"users": [{"contact": "联系人：欧阳娜娜", "phone": MOBILE, "realName": "王小明"}]}
    (tmp_path / "a.json").write_text(json.dumps(document), encoding="utf-8")
    lines = "\n".join(json.dumps({"msg": f"身份证{ID}"}) for _ in range(2))
    (tmp_path / "b.jsonl").write_text(lines + "\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", "--format", "json", str(tmp_path)])
    assert result.exit_code == 1, result.output
    a, b = json.loads(result.stdout)["files"]
    assert [(f["where"], f["kind"]) for f in a["findings"]] == [
        ("$.users[0].contact", "person_name"),
        ("$.users[0].phone", "mobile"),
        ("$.users[0].realName", "person_name"),  # its key is the cue
    ]
    assert [f["where"] for f in b["findings"]] == ["1:$.msg", "2:$.msg"]
    assert "110105********1239" in b["findings"][0]["snippet"]


def test_kinds_filter_and_errors(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text(f"手机{MOBILE} 邮箱zhang@qq.com\n", encoding="utf-8")
    only = runner.invoke(app, ["scan", "--kinds", "email", "--format", "json", str(log)])
    assert only.exit_code == 1
    assert json.loads(only.stdout)["files"][0]["counts"] == {"email": 1}
    bad = runner.invoke(app, ["scan", "--kinds", "mobile,phone", str(log)])
    assert bad.exit_code == 2 and "unknown detector kind(s) phone" in bad.stderr
    missing = runner.invoke(app, ["scan", str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2
    assert f"{tmp_path / 'nope.txt'}: 错误：不存在" in missing.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    result = runner.invoke(app, ["scan", str(broken)])
    assert result.exit_code == 2
    assert "无法作为 XLSX 工作簿打开" in result.stderr


def test_a_tables_header_says_which_cells_are_names_and_dates_of_birth(tmp_path: Path) -> None:
    """Free text needs a cue before a name (``姓名：``); a table's header is that cue for
    its column. A cell is taken only when its value is one (a known surname; a real past
    date), and a column the header does not name is read as free text."""
    rows = [
        ["编号", "客户姓名", "出生日期", "产品名称", "备注"],
        ["1", "王小明", "1990-05-06", "张记贷", "李雷来电"],
        ["2", "欧阳娜娜", "2999-01-01", "", ""],
        ["3", "VIP客户", "不详", "", ""],
    ]
    (tmp_path / "a.csv").write_text("\n".join(",".join(r) for r in rows) + "\n", "utf-8")
    (tmp_path / "d.csv").write_text("收货人,用户名\n张伟,zhangwei88\n", encoding="utf-8")
    quoted = '备注,姓名\n"联系人王小明","王小明"\n'  # the name also in the cell before it
    (tmp_path / "e.csv").write_text(quoted, encoding="utf-8")
    (tmp_path / "b.tsv").write_text(
        '"客户姓名"\t"出生日期"\n"王小明"\t"1990/5/6"\n', encoding="utf-8"
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(tmp_path / "c.xlsx")
    result = runner.invoke(app, ["scan", "--format", "json", str(tmp_path)])
    assert result.exit_code == 1, result.output
    by_file = {Path(f["path"]).name: f for f in json.loads(result.stdout)["files"]}
    a = [(f["where"], f["kind"]) for f in by_file["a.csv"]["findings"]]
    assert a == [
        ("2:3", "person_name"),
        ("2:7", "birth_date"),
        ("2:22", "person_name"),  # a cell opens as a sentence does: 李雷来电
        ("3:3", "person_name"),
    ]
    b = [(f["where"], f["kind"]) for f in by_file["b.tsv"]["findings"]]
    assert b == [("2:2", "person_name"), ("2:8", "birth_date")]
    e = [(f["where"], f["kind"], f["snippet"]) for f in by_file["e.csv"]["findings"]]
    assert [w for w, _, _ in e] == ["2:5", "2:11"], e  # each cell's name at its own place
    d = [(f["where"], f["kind"]) for f in by_file["d.csv"]["findings"]]
    assert d == [("2:1", "person_name")]  # a recipient's name; a user name is not a person's
    c = [(f["where"], f["kind"]) for f in by_file["c.xlsx"]["findings"]]
    assert c == [
        ("Sheet!B2", "person_name"),
        ("Sheet!C2", "birth_date"),
        ("Sheet!E2", "person_name"),  # a cell is text of its own: 李雷来电 opens with a name
        ("Sheet!B3", "person_name"),
    ]
    assert "小明" not in result.stdout and "1990-05-06" not in result.stdout
    only = runner.invoke(app, ["scan", "--kinds", "mobile", str(tmp_path / "a.csv")])
    assert only.exit_code == 0, only.output  # --kinds: the header adds no other kind


def test_a_values_key_in_a_log_or_json_line_says_what_it_is(tmp_path: Path) -> None:
    """``realName=张三``, ``"customerName":"欧阳娜娜"``, ``"birthday":"1990-05-06"``: the key
    is the cue a free-text name or date needs; a key that names no PI (productName) or a
    value that is no name (王府井大街) is not taken."""
    log = tmp_path / "app.log"
    log.write_text(
        "INFO login realName=张三 ip=10.0.0.1\n"
        'DEBUG {"customerName":"欧阳娜娜","birthday":"1990-05-06","productName":"王府井"}\n'
        "INFO GET /api/user?name=李雷&age=30\n"
        "WARN name=王府井大街\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["scan", "--format", "json", str(log)])
    assert result.exit_code == 1, result.output
    (report,) = json.loads(result.stdout)["files"]
    found = [(f["where"], f["kind"]) for f in report["findings"] if f["kind"] != "ipv4"]
    assert found == [
        ("1:21", "person_name"),
        ("2:24", "person_name"),
        ("2:42", "birth_date"),
        ("3:25", "person_name"),
    ]
    assert "娜娜" not in result.stdout and "1990-05-06" not in result.stdout


def test_a_utf16_text_as_excel_saves_unicode_text_is_read(tmp_path: Path) -> None:
    """Excel's 'Unicode text' export is UTF-16 with a byte-order mark: its NUL bytes made it
    a skipped binary file."""
    export = tmp_path / "customers.txt"
    export.write_text(f"姓名\t手机\n张伟\t{MOBILE}\n", encoding="utf-16")
    result = runner.invoke(app, ["scan", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "手机号码 1" in result.stdout and "跳过" not in result.output


def test_an_encoded_run_after_a_lone_percent_sign_is_found(tmp_path: Path) -> None:
    """``50%`` then an encoded address: walking back from the address's first escape took
    the lone ``%`` as part of it, the run then ended before the address, and it was lost."""
    from urllib.parse import quote

    log = tmp_path / "access.log"
    log.write_text(f"GET /u?off=50%{quote('北京市朝阳区建国路88号')} 200\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", "--format", "json", str(log)])
    assert result.exit_code == 1, result.output
    (report,) = json.loads(result.stdout)["files"]
    assert [f["kind"] for f in report["findings"]] == ["address"]


def test_percent_encoded_pi_in_an_access_log_is_decoded_found_and_masked(tmp_path: Path) -> None:
    """``realName=%E5%BC%A0%E4%B8%89`` is 张三 in a URL: decoded, read by the detectors and
    by its key, and placed on the encoded characters, which the snippet masks. Hex of
    another encoding (GBK) is left alone."""
    from urllib.parse import quote

    name, address = quote("张三"), quote("北京市朝阳区建国路88号")
    log = tmp_path / "access.log"
    log.write_text(
        f'1.2.3.4 "GET /u?realName={name}&mobile={MOBILE}&addr={address} HTTP/1.1" 200\n'
        '1.2.3.4 "GET /u?realName=%D5%C5%C8%FD HTTP/1.1" 200\n'  # 张三 in GBK
        + "x" * 200_000
        + "%E5\n",  # a long run before a lone byte: read once, not once per character
        encoding="utf-8",
    )
    result = runner.invoke(app, ["scan", "--format", "json", str(log)])
    assert result.exit_code == 1, result.output
    (report,) = json.loads(result.stdout)["files"]
    kinds = {(f["where"].split(":")[0], f["kind"]) for f in report["findings"]}
    assert {("1", "person_name"), ("1", "mobile"), ("1", "address")} <= kinds
    assert not [k for k in kinds if k[0] != "1" and k[1] != "ipv4"]
    snippets = " ".join(f["snippet"] for f in report["findings"])
    assert name not in snippets and address not in snippets
