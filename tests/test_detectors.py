"""The Chinese PI detectors: every kind found with its exact span, look-alikes rejected."""

from __future__ import annotations

import pytest

from yinsi.taxonomy.detectors import KINDS, Finding, classify_values, detect
from yinsi.taxonomy.formats import check_character, luhn_valid

ID = "11010519900307123" + check_character("11010519900307123")
CARD = next(f"622202123456789012{d}" for d in "0123456789" if luhn_valid(f"622202123456789012{d}"))
CARD16 = next(f"621700123456789{d}" for d in "0123456789" if luhn_valid(f"621700123456789{d}"))
GROUPED = " ".join(CARD16[i : i + 4] for i in range(0, 16, 4))
IMEI = next(f"86107981051126{d}" for d in "0123456789" if luhn_valid(f"86107981051126{d}"))


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in detect(text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        (f"身份证号{ID}，请核对", "id_number", ID),
        ("老身份证110105900307123。", "id_number", "110105900307123"),
        ("手机13812345678，", "mobile", "13812345678"),
        ("电话+86 138-1234-5678。", "mobile", "+86 138-1234-5678"),
        ("拨打0086 13912345678", "mobile", "0086 13912345678"),
        ("手机 138 1234 5678 已验证", "mobile", "138 1234 5678"),
        ("座机010-88886666转123。", "landline", "010-88886666转123"),
        ("公司电话(0571)87654321，", "landline", "(0571)87654321"),
        (f"卡号{CARD}，", "bank_card", CARD),
        (f"卡号 {GROUPED} 扣款", "bank_card", GROUPED),
        ("信用代码91350100M000100Y43。", "uscc", "91350100M000100Y43"),
        ("护照号码E12345678，", "passport", "E12345678"),
        ("护照EA1234567。", "passport", "EA1234567"),
        ("往来港澳通行证C12345678，", "hk_macau_permit", "C12345678"),
        ("回乡证H12345678。", "hk_macau_permit", "H12345678"),
        ("大陆居民往来台湾通行证L12345678，", "taiwan_permit", "L12345678"),
        ("台胞证号码：12345678。", "taiwan_permit", "12345678"),
        ("车牌京A12345，", "plate", "京A12345"),
        ("新能源车粤BD12345已登记", "plate", "粤BD12345"),
        ("货车沪A12345D。", "plate", "沪A12345D"),
        (f"设备IMEI：{IMEI}，", "imei", IMEI),
        ("MAC地址00:1A:2B:3C:4D:5E，", "mac", "00:1A:2B:3C:4D:5E"),
        ("网卡a4-5e-60-e8-1f-2b。", "mac", "a4-5e-60-e8-1f-2b"),
        ("登录IP：203.0.113.7，", "ipv4", "203.0.113.7"),
        ("IPv6地址2409:8a00:1:2::7334，", "ipv6", "2409:8a00:1:2::7334"),
        ("邮箱zhang.san@qq.com，", "email", "zhang.san@qq.com"),
        ("我的QQ号是123456789，", "qq", "123456789"),
        ("加我qq:10001。", "qq", "10001"),
        ("微信号wxid_abc123，", "wechat", "wxid_abc123"),
        ("微信：Zhang_Wei-88 ", "wechat", "Zhang_Wei-88"),
        ("出生日期：1990-05-17，", "birth_date", "1990-05-17"),
        ("生日是1988年3月7日。", "birth_date", "1988年3月7日"),
        ("DOB 19900517", "birth_date", "19900517"),
        ("姓名：张伟，", "person_name", "张伟"),
        ("联系人欧阳娜娜，", "person_name", "欧阳娜娜"),
        ("的请求许磊洋先生您好", "person_name", "许磊洋"),
        ("借款人张丽逾期未还", "person_name", "张丽"),
        ("已处理。张伟于昨日来电咨询。", "person_name", "张伟"),
        ("有事请找王小明（手机号见附件）", "person_name", "王小明"),
        ("这是欧阳娜娜的护照。", "person_name", "欧阳娜娜"),
        # an ID number as forms and transcripts group it: 6-8-4
        (f"身份证 {ID[:6]} {ID[6:14]} {ID[14:]}，", "id_number", f"{ID[:6]} {ID[6:14]} {ID[14:]}"),
        (f"证件号：{ID[:6]}-{ID[6:14]}-{ID[14:]}", "id_number", f"{ID[:6]}-{ID[6:14]}-{ID[14:]}"),
        # a name before the person's sex, a date before 出生
        ("申请人信息：李四（女）", "person_name", "李四"),
        ("其子于2020年5月6日出生。", "birth_date", "2020年5月6日"),
        # staff, relatives and payees named by their role in a ticket or a collection note
        ("处理人：客服专员刘洋（工号 KF0231）", "person_name", "刘洋"),
        ("客户经理刘洋负责跟进", "person_name", "刘洋"),
        ("催收员张伟致电", "person_name", "张伟"),
        ("配偶：李娜，", "person_name", "李娜"),
        ("收款人：王芳。", "person_name", "王芳"),
        ("收货地址朝阳区建国路88号。", "address", "朝阳区建国路88号"),
        ("住址：北京市朝阳区建国路88号1201室，", "address", "北京市朝阳区建国路88号1201室"),
        ("寄到广东省深圳市南山区深南大道9988号A座1203室。", "address", None),
        ("杭州市西湖区文三路90号", "address", "杭州市西湖区文三路90号"),
        # the complex between the street number and the building is part of it
        (
            "住址：北京市朝阳区建国路88号SOHO现代城5号楼1201室，",
            "address",
            "北京市朝阳区建国路88号SOHO现代城5号楼1201室",
        ),
        ("成都市武侯区桐梓林小区3栋2单元。", "address", "成都市武侯区桐梓林小区3栋2单元"),
        (
            "收货地址：广东省深圳市南山区粤海街道科技园南区W1-A栋3楼",
            "address",
            "广东省深圳市南山区粤海街道科技园南区W1-A栋3楼",
        ),
        # a complex with no building after it is not taken: it may be the next words
        ("北京市朝阳区建国路88号附近有家中心医院", "address", "北京市朝阳区建国路88号"),
        # a named area before the town, a road named …道, a road's section (missed before)
        (
            "收货地址：广东省深圳市南山区科技园南区粤海街道高新南七道18号",
            "address",
            "广东省深圳市南山区科技园南区粤海街道高新南七道18号",
        ),
        ("天津市和平区南京道100号", "address", "天津市和平区南京道100号"),
        ("成都市高新区天府大道北段1700号", "address", "成都市高新区天府大道北段1700号"),
        ("成都市武侯区人民南路三段17号", "address", "成都市武侯区人民南路三段17号"),
    ],
)
def test_each_kind_is_found_with_its_exact_span(text: str, kind: str, value: str | None) -> None:
    hits = found(text)
    assert len(hits) == 1, hits
    assert hits[0][0] == kind
    if value is not None:
        assert hits[0][1] == value
    (finding,) = detect(text)
    assert finding.element == KINDS[kind] and 0 < finding.confidence <= 1


@pytest.mark.parametrize(
    "text",
    [
        "订单号6222021234567890128已发货",  # an order number, even with a valid card shape
        "时间戳1701234567890写入",  # 13-digit ms epoch: no 11-digit run inside it
        "流水号138123456789",  # 12 digits: a mobile inside a longer run
        "金额13812345678元",  # an amount
        "QQ音乐和微信支付都能用",  # a product's name, no account after it
        "请完善联系人信息和用户信息。",  # 信 is a surname, 信息 a word
        "借款人信息及本人支付来源信息",
        "您向我们及第三方服务提供方提供的地址信息",  # 方 + 提供 is no name
        "QQ群 12345",  # a group, not a person's account
        "合计¥13812345678",
        "请升级到版本1.2.3.4",  # a version string
        "号码15412345678不存在",  # unallocated segment 154
        "请到北京市朝阳区街道办事处办理",  # a town office, no street number
        "号码12012345678",
        f"证件号{ID[:17]}{'1' if ID[17] != '1' else '2'}校验失败",  # check character wrong
        f"卡号{CARD[:-1]}{(int(CARD[-1]) + 1) % 10}无效",  # Luhn fails
        "身份证11010519901307123X",  # month 13
        "合同签订于2023-05-17",  # a date, not a date of birth
        "时间12:30:45",  # not an IPv6 address
        "MAC 00:00:00:00:00:00",
        "本机127.0.0.1",
        "联系人王先生",  # a surname alone
        "北京市场很大",
        "我在朝阳区工作",  # no street and number
        "高兴在这里",
        "今天，高度于是下降",
        "版本v2.0.1.3",
        # a role or a word before the sex is no name; 6-8-4 with mixed separators no ID
        "患者，男，45岁；其中，男性占比更高",
        f"编号 {ID[:6]} {ID[6:14]}-{ID[14:]}",
        # a role with no name after it
        "客服已回复，专员已处理",
        "配偶信息及父亲职业",
        "坐席工号 1234，操作员编号 56",
        "还款人未还款，负责人员已通知",
    ],
)
def test_look_alikes_are_rejected(text: str) -> None:
    assert found(text) == []


def test_a_named_number_is_pi_even_after_a_serial_number_word() -> None:
    assert found(f"证件编号{ID}") == [("id_number", ID)]
    assert found(f"ID: {ID}") == [("id_number", ID)]
    assert found("user_id=13812345678") == [("mobile", "13812345678")]
    assert found(f"order_id={CARD}") == []


def test_cjk_boundaries_and_longer_runs() -> None:
    assert found("手机13812345678，") == [("mobile", "13812345678")]
    assert found("编码913812345678") == []
    assert found("a13812345678") == []
    assert found("13812345678.5") == []
    assert found("张伟,13812345678,110105") == [("mobile", "13812345678")]


def test_overlaps_keep_one_finding_and_the_order_is_by_position() -> None:
    text = f"手机13812345678 身份证{ID} 邮箱a@b.cn"
    assert [f.kind for f in detect(text)] == ["mobile", "id_number", "email"]
    starts = [f.start for f in detect(text)]
    assert starts == sorted(starts)


def test_kinds_limits_the_search_and_unknown_kinds_are_named() -> None:
    text = f"手机13812345678 身份证{ID}"
    assert [f.kind for f in detect(text, kinds=["id_number"])] == ["id_number"]
    with pytest.raises(ValueError, match=r"unknown detector kind.*phone"):
        detect(text, kinds=["phone"])


def test_finding_has_only_a_span() -> None:
    (f,) = detect("手机13812345678")
    assert f == Finding("mobile", "mobile_number", 2, 13, f.confidence)
    assert "1381" not in repr(f)


def test_classify_values_gives_shares_and_evidence_without_values() -> None:
    values = [ID] * 18 + ["", "  ", "n/a", "unknown"]
    (best, *_) = classify_values(values)
    assert best[0] == "id_number" and best[1] == pytest.approx(18 / 20)
    assert best[2] == "20 个非空值中 18 个是有效的身份证号码（GB 11643 校验通过）"
    result = classify_values(["13812345678", "张伟", "欧阳娜娜", "李四", "1990-05-17"])
    assert result[0][:2] == ("name", pytest.approx(3 / 5))
    assert {r[0] for r in result} == {"name", "mobile_number", "birth_date"}
    for element, _, evidence in result:
        assert "1381" not in evidence and "张伟" not in evidence, element
    assert classify_values(["2023-05-17"]) == []  # too recent to be a date of birth
    assert classify_values(["2019-05-17 12:30:00"]) == []  # an event, not a birth
    assert classify_values(["1990-05-17 00:00:00"])[0][0] == "birth_date"
    assert classify_values(["广东省深圳市南山区深南大道9988号"])[0][0] == "address"
    assert classify_values([]) == []
