"""``yinsi scan`` on Word documents, and on the binary files a folder holds."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.services.pii_documents import MAX_PART, docx_parts
from yinsi.services.pii_scan import scan_file

runner = CliRunner()
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _run(*parts: str) -> str:
    return "".join(f"<w:r><w:t xml:space='preserve'>{p}</w:t></w:r>" for p in parts)


def _row(*cells: str) -> str:
    return "<w:tr>" + "".join(f"<w:tc><w:p>{_run(c)}</w:p></w:tc>" for c in cells) + "</w:tr>"


def _docx(path: Path, body: str, **parts: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml", f"<w:document xmlns:w='{W}'><w:body>{body}</w:body></w:document>"
        )
        for name, xml in parts.items():
            archive.writestr(f"word/{name}.xml", xml)
    return path


def test_a_word_documents_body_header_tables_text_boxes_and_deletions_are_read(
    tmp_path: Path,
) -> None:
    body = (
        "<w:p>" + _run("借款合同") + "</w:p>"
        # Word splits a run wherever formatting or spell-checking changes: 张 | 伟
        + "<w:p>" + _run("借款人：张", "伟，手机", "13812345678") + "</w:p>"
        + "<w:tbl><w:tr><w:tc><w:p>" + _run("邮箱 wz@example.com") + "</w:p></w:tc></w:tr></w:tbl>"
        # a table whose header row says its first column holds names: 王芳 needs no cue
        + "<w:tbl><w:tblPr/>" + _row("客户姓名", "备注") + _row("王芳", "已结清") + "</w:tbl>"
        # a text box: a paragraph inside a run of another
        + "<w:p>" + _run("见附注") + "<w:r><w:txbxContent><w:p>"
        + _run("紧急联系人李娜")
        + "</w:p></w:txbxContent></w:r></w:p>"
        # a tracked deletion: still in the file
        + "<w:p><w:del><w:r><w:delText>身份证号 11010519491231002X</w:delText></w:r></w:del></w:p>"
    )  # fmt: skip
    header = f"<w:hdr xmlns:w='{W}'><w:p>{_run('客服热线', '：0755-83765432')}</w:p></w:hdr>"
    doc = _docx(tmp_path / "合同.docx", body, header1=header)
    parts = {part.label: part.lines for part in docx_parts(doc)}
    assert parts["正文"][1] == "借款人：张伟，手机13812345678"
    assert parts["正文"][3:7] == ["客户姓名\t备注", "王芳\t已结清", "见附注", "紧急联系人李娜"]
    result = runner.invoke(app, ["scan", "--format", "json", str(doc)])
    assert result.exit_code == 1, result.output
    (report,) = json.loads(result.stdout)["files"]
    places = {(f["kind"], f["where"]) for f in report["findings"]}
    assert places == {
        ("person_name", "正文第2段:5"),
        ("mobile", "正文第2段:10"),
        ("email", "正文第3段:4"),
        ("person_name", "正文第5段:1"),
        ("person_name", "正文第7段:6"),
        ("id_number", "正文第8段:6"),
        ("landline", "页眉1第1段:6"),
    }
    assert "13812345678" not in result.output and "张伟" not in result.output


def test_a_damaged_encrypted_or_hostile_document_is_an_error_and_the_scan_goes_on(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "b.docx").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)  # OLE: encrypted
    dtd = f"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><w:document xmlns:w='{W}'/>"
    with zipfile.ZipFile(tmp_path / "c.docx", "w") as archive:
        archive.writestr("word/document.xml", dtd)
    with zipfile.ZipFile(tmp_path / "d.docx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<" + b" " * (MAX_PART + 10))  # a ZIP bomb
    (tmp_path / "e.txt").write_text("手机13812345678\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", "--format", "json", str(tmp_path)])
    assert result.exit_code == 1, result.output  # PI found in e.txt
    errors = {Path(f["path"]).name: f["error"] for f in json.loads(result.stdout)["files"]}
    assert "无法作为 DOCX 文档打开" in errors["a.docx"]
    assert "加密" in errors["b.docx"]
    assert "DTD" in errors["c.docx"]
    assert "超过 64 MB" in errors["d.docx"]
    assert errors["e.txt"] is None


def test_binary_files_in_a_folder_are_named_as_not_checked(tmp_path: Path) -> None:
    """A PDF or an image in a folder is not an error, but PI in it is not looked for: the
    summary says which files were skipped, and so does the JSON."""
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Length 5 >> stream")  # no NUL
    (tmp_path / "id.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    (tmp_path / "note.txt").write_text("无个人信息\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "跳过 2 个二进制文件" in result.stderr and "scan.pdf" in result.stderr
    as_json = runner.invoke(app, ["scan", "--format", "json", str(tmp_path)])
    document = json.loads(as_json.stdout)
    assert [Path(p).name for p in document["skipped"]] == ["id.png", "scan.pdf"]
    assert [Path(f["path"]).name for f in document["files"]] == ["note.txt"]
    alone = runner.invoke(app, ["scan", str(tmp_path / "scan.pdf")])  # named: an error
    assert alone.exit_code == 2 and "二进制文件" in alone.stderr


def test_an_excel_97_workbook_is_read_with_its_header_and_numbers_as_typed(
    tmp_path: Path,
) -> None:
    """``tests/data/customers.xls`` (written by xlwt): a 客户姓名 header makes its cells
    names; a phone typed as a number (13812345678.0 in the file) is a phone."""
    source = Path(__file__).parent / "data" / "customers.xls"
    result = runner.invoke(app, ["scan", "--format", "json", str(source)])
    assert result.exit_code == 1, result.output
    (report,) = json.loads(result.stdout)["files"]
    places = {(f["kind"], f["where"]) for f in report["findings"]}
    assert {("person_name", "客户!A2"), ("mobile", "客户!B2"), ("id_number", "客户!C2")} <= places
    assert ("mobile", "客户!B3") in places and ("mobile", "客户!D3") in places
    broken = tmp_path / "broken.xls"
    broken.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x01" * 600)
    damaged = runner.invoke(app, ["scan", str(broken)])
    assert damaged.exit_code == 2 and "无法作为 XLS 工作簿打开" in damaged.stderr


def test_a_corrupt_stream_or_a_nesting_bomb_is_an_error_not_a_crash(tmp_path: Path) -> None:
    deep = "<w:p>" * 50_000 + "</w:p>" * 50_000
    _docx(tmp_path / "deep.docx", deep)
    good = _docx(tmp_path / "corrupt.docx", "<w:p>" + _run("x" * 5000) + "</w:p>")
    data = bytearray(good.read_bytes())
    start = data.index(b"word/document.xml") + len("word/document.xml")  # its local header
    data[start + 20 : start + 40] = b"\xff" * 20  # the deflate stream's bytes garbled
    good.write_bytes(bytes(data))
    result = runner.invoke(app, ["scan", "--format", "json", str(tmp_path)])
    assert result.exit_code == 2, result.output
    errors = {Path(f["path"]).name: f["error"] for f in json.loads(result.stdout)["files"]}
    assert "嵌套过深" in errors["deep.docx"]
    assert "无法作为 DOCX 文档打开" in errors["corrupt.docx"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    suffix=st.sampled_from([".docx", ".xls", ".xlsx", ".txt", ".csv", ".json"]),
    garble=st.lists(st.tuples(st.integers(0, 4000), st.binary(min_size=1, max_size=8)), max_size=6),
)
def test_a_garbled_file_of_any_kind_gives_a_report_never_an_exception(
    tmp_path: Path, suffix: str, garble: list[tuple[int, bytes]]
) -> None:
    """Bytes garbled anywhere in a real document, workbook or text: the scan reports the
    file (found PI, or an error saying why) and goes on."""
    source = Path(__file__).parent / "data" / "customers.xls"
    if suffix == ".docx":
        data = bytearray(
            _docx(tmp_path / "a.docx", "<w:p>" + _run("张伟 13812345678") + "</w:p>").read_bytes()
        )
    elif suffix == ".xls":
        data = bytearray(source.read_bytes())
    else:
        data = bytearray("姓名,手机\n张伟,13812345678\n".encode() * 50)
    for at, chunk in garble:
        at %= len(data)
        data[at : at + len(chunk)] = chunk
    path = tmp_path / f"garbled{suffix}"
    path.write_bytes(bytes(data))
    report = scan_file(path)
    assert report.error is not None or isinstance(report.hits, list)
