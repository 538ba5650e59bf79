"""PI written the ways a field test found it in logs, forms and exports: keys ending in
``No``, several ``key=value`` pairs on a line, role headers, JSON too deep or broken,
version strings, full-width digits, country codes, spaced landlines, legacy card prefixes,
residence permits, IPv4-mapped addresses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.consent.age import check_registration, parse_id_number
from yinsi.consent.errors import InvalidIdNumber
from yinsi.services.pii_cues import header_kinds, labelled_findings
from yinsi.services.pii_scan import scan_file, scan_paths
from yinsi.taxonomy.detectors import detect
from yinsi.taxonomy.formats import check_character, luhn_valid

runner = CliRunner()
ID = "32010219851122047" + check_character("32010219851122047")
CARD = next(f"621700987654321012{d}" for d in "0123456789" if luhn_valid(f"621700987654321012{d}"))


def _luhn(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in detect(text)]


def _wide(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def test_a_mobile_after_a_mobileNo_key_is_found() -> None:
    line = (
        f"bind ok: userMobileNo=13912345678 phone_no:15012345678 telNo=0571-87654321 "
        f"certNo={ID} bankAccountNo={CARD} idNo={ID}"
    )
    assert found(line) == [
        ("mobile", "13912345678"),
        ("mobile", "15012345678"),
        ("landline", "0571-87654321"),
        ("id_number", ID),
        ("bank_card", CARD),
        ("id_number", ID),
    ]
    assert found("Mobile No. 13912345678") == [("mobile", "13912345678")]
    # a key naming an order, a contract, a loan or a trace still makes a number no PI
    for key in ("orderNo", "contractNo", "loanNo", "applyNo", "serialNo", "traceNo", "billNo"):
        assert found(f"{key}=13912345678 {key}={CARD}") == [], key
    assert found("Policy No. 13912345678") == []


def test_a_serial_number_word_does_not_suppress_a_phone_named_closer_to_it() -> None:
    assert found("序号12 手机13912345678 已接通") == [("mobile", "13912345678")]
    assert found("工单编号 电话：0571-87654321") == [("landline", "0571-87654321")]
    assert found("序号13912345678") == []  # the serial number itself


def test_every_key_value_pair_of_a_line_is_read() -> None:
    text = "check: name=王芳 ok\nargs: realName=赵敏&x=1, custName=钱伟; y: userName=孙丽\n"
    names = [text[f.start : f.end] for f in labelled_findings(text, None)]
    assert names == ["王芳", "赵敏", "钱伟", "孙丽"]


PERSON_HEADERS = [
    "contactName",
    "contact_name",
    "spouseName",
    "cardHolder",
    "accountName",
    "bankAccountName",
    "recipientName",
    "emergencyContact2Name",
    "lxr",
    "借款人",
    "申请人",
    "担保人",
    "紧急联系人",
    "联系人2",
    "紧急联系人（母亲）",
    "配偶",
    "收款人",
    "户主",
]
OTHER_HEADERS = ["fileName", "productName", "bankName", "nickName", "人数", "个人", "备注"]


def test_a_header_naming_a_person_by_a_role_says_its_cells_are_names() -> None:
    kinds = header_kinds(PERSON_HEADERS + OTHER_HEADERS)
    assert [PERSON_HEADERS[i] for i in kinds if kinds[i] == "person_name"] == PERSON_HEADERS
    assert len(kinds) == len(PERSON_HEADERS)  # none of OTHER_HEADERS


def test_names_under_role_headers_of_a_csv_are_found(tmp_path: Path) -> None:
    table = tmp_path / "loans.csv"
    table.write_text("借款人,担保人,联系人1,金额\n周芳,吴刚,郑洁,5000\n", encoding="utf-8")
    hits = scan_file(table).hits
    assert [(h.where, h.kind) for h in hits] == [
        ("2:1", "person_name"),
        ("2:4", "person_name"),
        ("2:7", "person_name"),
    ]


def test_a_json_file_nested_too_deep_is_read_as_text_and_the_scan_goes_on(
    tmp_path: Path,
) -> None:
    depth = 5000
    name = json.dumps({"contactName": "钱伟"})  # ensure_ascii: \u escapes
    (tmp_path / "a_deep.json").write_text("[" * depth + name + "]" * depth, encoding="utf-8")
    (tmp_path / "b_next.txt").write_text("手机13912345678\n", encoding="utf-8")
    reports = list(scan_paths([tmp_path]))
    assert [r.path.name for r in reports] == ["a_deep.json", "b_next.txt"]
    assert all(r.error is None for r in reports)
    assert [h.kind for h in reports[0].hits] == ["person_name"]
    assert "钱伟" not in reports[0].hits[0].snippet
    assert [h.kind for h in reports[1].hits] == ["mobile"]
    result = runner.invoke(app, ["scan", str(tmp_path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "b_next.txt: 1 处个人信息" in result.stdout


def test_a_broken_line_of_json_lines_leaves_the_others_read_as_json(tmp_path: Path) -> None:
    good = json.dumps({"xm": "孙丽", "tel": "13912345678"})
    broken = '{"xm": "\\u5434\\u521a", "tel": "1501234'  # cut off
    lines = tmp_path / "events.jsonl"
    lines.write_text(f"{good}\n{good}\n{broken}\n", encoding="utf-8")
    hits = [(h.where, h.kind) for h in scan_file(lines).hits]
    assert hits == [
        ("1:$.xm", "person_name"),
        ("1:$.tel", "mobile"),
        ("2:$.xm", "person_name"),
        ("2:$.tel", "mobile"),
        ("3:9", "person_name"),
    ]


def test_version_strings_are_not_ip_addresses() -> None:
    ua = "UA: Mozilla/5.0 AppleWebKit/537.36 Chrome/121.0.0.0 Safari/537.36 ip=203.0.113.9"
    assert found(ua) == [("ipv4", "203.0.113.9")]
    assert found("INFO sdk 3.2.0.1 ready, APP 6.1.0.2 上线") == []
    assert found('{"romVersion": "11.0.0.150", "sdk_ver": "4.3.2.1"}') == []
    assert found("server=203.0.113.9, host 10.0.0.0") == [("ipv4", "203.0.113.9")]
    assert found("url=http://203.0.113.9/pay") == [("ipv4", "203.0.113.9")]


def test_placeholder_mac_addresses_are_not_pi() -> None:
    text = "mac=02:00:00:00:00:00 wlan=FF:FF:FF:FF:FF:FF bt=3c:22:fb:10:9a:7e"
    assert found(text) == [("mac", "3c:22:fb:10:9a:7e")]


def test_an_ipv4_mapped_ipv6_address_is_reported_whole_as_ipv4() -> None:
    assert found("client=::ffff:203.0.113.9 ok") == [("ipv4", "::ffff:203.0.113.9")]
    assert found("peer 2409:8a00:1:2::7334") == [("ipv6", "2409:8a00:1:2::7334")]


def test_full_width_digits_are_found_where_they_are_written() -> None:
    for kind, value in (("mobile", "13912345678"), ("bank_card", CARD), ("id_number", ID)):
        text = f"客户：新的是{_wide(value)}。"
        assert found(text) == [(kind, _wide(value))]


def test_a_mobile_after_a_bare_86_and_with_dots_is_found() -> None:
    assert found("sms to=8613912345678 sent") == [("mobile", "8613912345678")]
    assert found("电话 86-13912345678") == [("mobile", "86-13912345678")]
    assert found("手机 139.1234.5678") == [("mobile", "139.1234.5678")]
    assert found("id=208613912345678") == []


def test_a_landline_with_a_space_in_its_local_number_is_found() -> None:
    assert found("电话：(010)6543 2109，") == [("landline", "(010)6543 2109")]
    assert found("家里 0755 8123 4567") == [("landline", "0755 8123 4567")]
    assert found("座机（021）54321098") == [("landline", "（021）54321098")]
    assert found("编码 1234 0755 8123 4567 9") == []  # a run of digit groups


def test_legacy_debit_cards_and_the_6_13_grouping_are_found() -> None:
    icbc = _luhn("955880123456789012")
    abc = _luhn("955998765432101234")
    grouped = " ".join(icbc[i : i + 4] for i in range(0, 19, 4))
    assert found(f"卡号：{abc}") == [("bank_card", abc)]
    assert found(f"牡丹灵通卡\n{grouped}\n") == [("bank_card", grouped)]
    ocr = CARD[:6] + " " + CARD[6:]
    assert found(f"卡面\n{ocr}\n") == [("bank_card", ocr)]


def test_a_taiwan_residents_permit_number_is_an_id_number_and_passes_the_age_gate() -> None:
    first = "83000019900214004"
    number = first + check_character(first)
    assert found(f"居住证号码 {number}") == [("id_number", number)]
    assert parse_id_number(number).birth == date(1990, 2, 14)
    assert check_registration(number, date(2026, 1, 1)) is None
    bad = "85000019900214004"
    with pytest.raises(InvalidIdNumber, match="81, 82"):
        parse_id_number(bad + check_character(bad))
