"""Person names and postal addresses as collection notes, chats, contracts and scanned
cards write them: the cues a name needs, the words that are no name, and the tail that
makes an address identifying (a village's group, a building's room)."""

from __future__ import annotations

import pytest

from yinsi.taxonomy.detectors import classify_values, detect


def found(text: str, kind: str) -> list[str]:
    return [text[f.start : f.end] for f in detect(text) if f.kind == kind]


def names(text: str) -> list[str]:
    return found(text, "person_name")


def addresses(text: str) -> list[str]:
    return found(text, "address")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("回访时联系其弟弟赵志刚，对方称不知情。", "赵志刚"),
        ("借款人称其老公陈建波会代为还款。", "陈建波"),
        ("外访时遇到借款人室友黄志明，称其已回老家。", "黄志明"),
        ("我表姐何玉兰也在贵司借过款", "何玉兰"),
    ],
)
def test_a_name_after_a_relation_word_is_found(text: str, name: str) -> None:
    assert names(text) == [name]


def test_a_name_before_a_relation_in_brackets_or_after_it_is_found() -> None:
    assert names("4. 黄国平（舅舅） 13911112222") == ["黄国平"]
    assert names("对方称周海波是其同学，钱不是他借的。") == ["周海波"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("紧急联系人2：吴秀珍，关系：配偶", "吴秀珍"),
        ("联系人（配偶）何文静，电话未接通", "何文静"),
        ("出借人（签章）：杜明辉", "杜明辉"),
        ("丙方（担保人）：彭志远", "彭志远"),
    ],
)
def test_a_number_or_a_bracketed_word_between_the_cue_and_the_name_is_skipped(
    text: str, name: str
) -> None:
    assert names(text) == [name]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("担保人：蒋丽萍，已签署担保函", "蒋丽萍"),
        ("申请执行人：罗建新", "罗建新"),
        ("客户名称：梁秀云；客户等级：A", "梁秀云"),
        ("复核人：夏春燕  复核日期：2024-03-02", "夏春燕"),
        ("投诉人：贺俊杰，投诉内容：催收频繁", "贺俊杰"),
        ("发件人：袁小芳 <service@example.cn>", "袁小芳"),
        ("不动产权证 权利人 邵华强 共有情况 单独所有", "邵华强"),
        ("营业执照 经营者 覃丽娟 组成形式 个人经营", "覃丽娟"),
        ("姓 名 韦春花\n性 别 女", "韦春花"),
        ("致电马建华，对方未接听。", "马建华"),
    ],
)
def test_a_name_after_a_role_label_or_a_call_is_found(text: str, name: str) -> None:
    assert names(text) == [name]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("客户：我叫林以宁，想问下额度", "林以宁"),
        ("你好，我是张如意的丈夫，她住院了", "张如意"),
        ("联系人：赵元芳，", "赵元芳"),
    ],
)
def test_a_given_name_with_a_particle_character_is_kept_whole(text: str, name: str) -> None:
    assert names(text) == [name]


def test_a_particle_ends_a_name_only_where_the_sentence_goes_on() -> None:
    assert names("我是吴和顺，上周已经还过了") == ["吴和顺"]
    assert names("联系人王伟和他的朋友都不接电话") == ["王伟"]
    assert names("借款人孙丽为什么不还款") == ["孙丽"]


def test_a_transliterated_name_is_taken_whole_after_a_cue() -> None:
    assert names("借款人买买提·吐尔逊，电话未接通") == ["买买提·吐尔逊"]
    assert names("联系人：迪丽娜尔·阿布都热依木逾期未还") == ["迪丽娜尔·阿布都热依木"]


def test_a_four_character_name_is_the_whole_value_of_a_field() -> None:
    assert names("收件人：肖雨桐欣 13800001111") == ["肖雨桐欣"]
    assert names("借款人张丽娟逾期未还") == ["张丽娟"]  # no field: three at most


def test_a_name_with_a_traditional_character_surname_is_found() -> None:
    assert names("姓名：張國強，") == ["張國強"]
    assert names("聯繫人 劉美華") == []  # no cue this dictionary knows


def test_a_message_greeting_or_an_identity_check_is_a_cue() -> None:
    assert names("【某某消费金融】邱振宇您好，您本期账单已出。") == ["邱振宇"]
    assert names("坐席：请问是谭晓燕本人吗？") == ["谭晓燕"]
    assert names("【某某银行】尊敬的客户您好，账单已出。") == []


@pytest.mark.parametrize(
    "text",
    [
        "客户：麻烦帮我查查",
        "客户：谢谢你们了",
        "客服：温馨说明，逾期会产生罚息",
        "坐席：万一逾期会上征信",
        "客户：石头都比你们有良心",
        "[2024-03-02 09:12:44] 客户：林子大了什么鸟都有",
    ],
)
def test_a_chat_speaker_label_followed_by_a_sentence_is_no_cue(text: str) -> None:
    assert names(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "客户明天下午还款。",
        "客户曾两次逾期。",
        "客户江苏籍，常住上海。",
        "客户温州人。",
        "房东的手机停机了。",
        "联系其母亲的微信没有回复。",
        "客户安排下周上门。",
        "客户严重逾期，建议上门。",
    ],
)
def test_words_and_places_after_a_cue_are_no_name(text: str) -> None:
    assert names(text) == []


def test_a_contract_party_is_a_name_unless_it_runs_into_a_company() -> None:
    assert names("甲方：许文强\n乙方：王府井百货集团") == ["许文强"]
    assert names("客户名称：腾讯科技（深圳）有限公司；联系人：邱建平") == ["邱建平"]


def test_a_surname_and_a_word_in_a_name_column_are_told_apart() -> None:
    assert classify_values(["陈和平", "李为民", "张如意"])[0][:2] == ("name", 1.0)
    assert classify_values(["江西", "湖南", "温州"]) == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("户籍地址：四川省南充市仪陇县马鞍镇石佛村5组", "四川省南充市仪陇县马鞍镇石佛村5组"),
        ("现住：云南省曲靖市会泽县娜姑镇白雾村二社，", "云南省曲靖市会泽县娜姑镇白雾村二社"),
        ("住址：河北省保定市涞水县三坡镇南峪村8组12号", "河北省保定市涞水县三坡镇南峪村8组12号"),
    ],
)
def test_a_village_and_its_group_end_a_rural_address(text: str, address: str) -> None:
    assert addresses(text) == [address]


def test_a_village_needs_its_town_and_no_particle() -> None:
    assert addresses("广东省深圳市南山区的农村合作社") == []
    assert addresses("湖南省长沙市望城区乔口镇的农村") == []
    assert addresses("湖南省长沙市望城区乔口镇渔村") == ["湖南省长沙市望城区乔口镇渔村"]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "地址：成都市锦江区红星路三段99号银石时代3栋2305室",
            "成都市锦江区红星路三段99号银石时代3栋2305室",
        ),
        (
            "上海市闵行区莘庄镇都市路3888号莘庄花苑12号楼3单元1201，",
            "上海市闵行区莘庄镇都市路3888号莘庄花苑12号楼3单元1201",
        ),
        ("住所：武汉市江汉区新华街道香江家园C3栋1502", "武汉市江汉区新华街道香江家园C3栋1502"),
        ("重庆市江北区观音桥街道建新北路12号附8号", "重庆市江北区观音桥街道建新北路12号附8号"),
        (
            "收货地址：南京市鼓楼区湖南路街道金陵小区2期5幢702",
            "南京市鼓楼区湖南路街道金陵小区2期5幢702",
        ),
        ("北京市朝阳区和平街十一区12号楼1门302", "北京市朝阳区和平街十一区12号楼1门302"),
    ],
)
def test_the_complex_building_and_bare_room_end_an_address(text: str, address: str) -> None:
    assert addresses(text) == [address]


def test_a_number_after_a_building_is_a_room_only_when_nothing_says_otherwise() -> None:
    assert addresses("北京市朝阳区建国路88号5栋2303") == ["北京市朝阳区建国路88号5栋2303"]
    assert addresses("北京市朝阳区建国路88号5栋2023年入住") == ["北京市朝阳区建国路88号5栋"]


def test_an_autonomous_prefecture_or_county_with_a_long_name_starts_an_address() -> None:
    text = "住址：云南省丽江市玉龙纳西族自治县黄山镇福慧路12号"
    assert addresses(text) == ["云南省丽江市玉龙纳西族自治县黄山镇福慧路12号"]
    text = "贵州省黔东南苗族侗族自治州凯里市北京东路8号"
    assert addresses(text) == [text]
