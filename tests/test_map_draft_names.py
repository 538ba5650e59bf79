"""Discovery's pure parts (issue 17): column names and comments → elements, and link
inference on plain facts, without a database."""

from __future__ import annotations

import pytest

from yinsi.declaration.discovery import build_draft, classify
from yinsi.declaration.discovery_links import assign_parents, stems
from yinsi.declaration.discovery_model import ColumnFacts, LinkGuess, TableFacts
from yinsi.declaration.discovery_yaml import render
from yinsi.taxonomy import BUILTIN
from yinsi.taxonomy.column_names import classify_column, tokens
from yinsi.taxonomy.column_words import COMMENT_RULES, NAME_RULES


@pytest.mark.parametrize(
    ("name", "comment", "element"),
    [
        ("sfzh", "", "id_number"),
        ("zjhm", "", "id_number"),
        ("idCardNo", "", "id_number"),
        ("xm", "", "name"),
        ("real_name", "", "name"),
        ("sjh", "", "mobile_number"),
        ("shouji", "", "mobile_number"),
        ("mobile_phone", "", "mobile_number"),
        ("yhkh", "", "bank_card"),
        ("bank_card_no", "", "bank_card"),
        ("khh", "", "bank_card"),
        ("ylsjh", "", "bank_reserved_mobile"),
        ("home_addr", "", "address"),
        ("dz", "", "address"),
        ("csrq", "", "birth_date"),
        ("birthday", "", "birth_date"),
        ("xb", "", "gender"),
        ("gzdw", "", "employer"),
        ("email", "", "email"),
        ("login_ip", "", "ip_address"),
        ("imei", "", "imei"),
        ("device_id", "", "device_id"),
        ("lat", "", "precise_location"),
        ("c1", "身份证号", "id_number"),
        ("c2", "手机号码", "mobile_number"),
        ("c3", "银行卡号", "bank_card"),
        ("c4", "住址", "address"),
        ("c5", "客户姓名", "name"),
        ("c6", "登录IP地址", "ip_address"),
        ("c7", "紧急联系人手机号", "emergency_contacts"),
        ("c8", "常用联系人姓名", "common_contacts"),
        ("c9", "用户名", "account_id"),  # an account's name, though it ends in 户名
        ("c10", "开户名", "name"),  # an account holder's
        ("c11", "身份证地址", "address"),  # the address on the card, not its number
        ("c12", "手机号码归属地", "coarse_location"),  # a region, not the number
        ("c13", "IP归属地", "coarse_location"),
        ("c14", "手机品牌", "device_brand"),
        ("c15", "微信号", "third_party_account_id"),
        ("c16", "芝麻分", "credit_score"),
        ("c17", "通话详单", "call_records"),
        ("c18", "APP列表", "installed_apps"),
        ("id_card_address", "", "address"),
        ("mobile_area", "", "coarse_location"),
        ("ip_city", "", "coarse_location"),
        ("phone_brand", "", "device_brand"),
        ("face_score", "", "liveness_parameters"),
        ("wechat_id", "", "third_party_account_id"),
        ("qq_no", "", "third_party_account_id"),
        ("call_log", "", "call_records"),
        ("app_list", "", "installed_apps"),
        # a fixed line is not a mobile number
        ("company_phone", "", "landline_number"),
        ("home_tel", "家庭电话", "landline_number"),
        ("c3", "单位电话", "landline_number"),
        ("gddh", "", "landline_number"),
        ("tel", "", "mobile_number"),
        # a borrower's loan and repayments are their financial information (GB/T 35273 A)
        ("apply_amt", "申请金额", "loan_records"),
        ("loan_amount", "", "loan_records"),
        ("credit_limit", "授信额度", "loan_records"),
        ("c4", "应还金额", "bill_info"),
        ("repay_amount", "", "bill_info"),
        ("overdue_amount", "逾期金额", "overdue_info"),
        ("pay_amount", "", "payment_info"),
        ("txn_amt", "", "transaction_records"),
        ("order_amount", "", "order_info"),
    ],
)
def test_names_pinyin_and_comments_give_the_element(name: str, comment: str, element: str) -> None:
    guesses = classify_column(name, comment)
    assert guesses, (name, comment)
    assert guesses[0].element == element
    assert 0.5 <= guesses[0].confidence < 1
    assert guesses[0].evidence


@pytest.mark.parametrize(
    ("name", "comment"),
    [
        ("id", "主键"),
        ("product_name", "产品名称"),
        ("phone_verified_at", ""),
        ("reg_time", "注册时间"),
        ("status", "申请状态"),
        ("c9", "手机号更新时间"),
        ("cust_no", "客户号"),
        ("amount", ""),  # whose, and of what, the name does not say
        ("dict_value", "字典值"),
        ("email_verified", ""),  # a flag about the e-mail, not the e-mail
    ],
)
def test_keys_times_and_business_columns_are_not_pi(name: str, comment: str) -> None:
    assert classify_column(name, comment) == []


def test_a_contacts_table_makes_names_phones_and_relations_contacts() -> None:
    for name in ("name", "phone", "relation", "contact_name", "contact_tel"):
        guess = classify_column(name, "", table="user_contacts")[0]
        assert guess.element == "emergency_contacts"
        assert "user_contacts" in guess.evidence
    assert classify_column("contact_id", "", table="user_contacts") == []  # a key, not PI
    assert classify_column("emergency_name", "", table="users")[0].element == "emergency_contacts"
    # the user's own 联系电话 in the user table stays theirs
    assert classify_column("contact_phone", "", table="users")[0].element == "mobile_number"


def test_every_rule_names_a_catalogue_element() -> None:
    elements = {e for _, e, _ in COMMENT_RULES} | {e for _, e, _, _ in NAME_RULES}
    assert elements <= set(BUILTIN.elements)


def test_a_strong_name_beats_values_and_values_alone_count() -> None:
    def values(_: object) -> list[tuple[str, float, str]]:
        return [("mobile_number", 1.0, "12/12 look like phones")]

    login = ColumnFacts("login_name", "text", "登录名", ("x",))
    guess = classify(login, "users", "", values)
    assert guess is not None and guess.element == "account_id"
    assert "look like phones" in guess.evidence
    opaque = ColumnFacts("c7", "text", "", ("x",))
    guess = classify(opaque, "t", "", values)
    assert guess is not None and (guess.element, guess.confidence) == ("mobile_number", 0.95)
    dates = ColumnFacts("c8", "date", "", ("x",))
    assert classify(dates, "t", "", values) is None  # detectors read text columns only


def test_tokens_and_stems() -> None:
    assert tokens("homeAddr2") == ["home", "addr", "2"]
    assert tokens("LXR_DH") == ["lxr", "dh"]
    assert {"loan_apply", "apply", "loanapply"} <= stems("t_loan_apply")
    assert "user" in stems("users") and "company" in stems("companies")


def test_links_prefer_the_deepest_parent_and_never_cycle() -> None:
    def link(child: str, parent: str, confidence: float = 0.9) -> LinkGuess:
        return LinkGuess(child, "c", parent, "k", confidence, "test")

    links = [link("s.loan", "s.users"), link("s.repay", "s.users"), link("s.repay", "s.loan")]
    chosen = assign_parents("s.users", links)
    assert chosen["s.repay"].parent == "s.loan"
    assert chosen["s.loan"].parent == "s.users"
    loop = [link("s.a", "s.users"), link("s.a", "s.b"), link("s.b", "s.a")]
    chosen = assign_parents("s.users", loop)
    assert chosen["s.a"].parent == "s.users" and chosen["s.b"].parent == "s.a"


def test_draft_without_any_database_links_by_name_and_renders_valid_yaml() -> None:
    users = TableFacts(
        "core",
        "customer",
        (ColumnFacts("cust_id", "integer"), ColumnFacts("xm"), ColumnFacts("sfzh")),
        ("cust_id",),
    )
    cards = TableFacts(
        "core",
        "card",
        (ColumnFacts("id", "integer"), ColumnFacts("cust_id", "integer"), ColumnFacts("yhkh")),
        ("id",),
    )
    lonely = TableFacts("core", "audit", (ColumnFacts("sjh"),))
    draft = build_draft("demo", [("core", "sql")], [cards, users, lonely])
    assert draft.root is not None and draft.root.table.name == "customer"
    text = render(draft)
    assert "parent: {dataset: customer, column: cust_id}" in text
    assert "core.audit: sjh → mobile_number" in text  # no key, no link: left as a comment


def test_a_table_named_with_a_wrapper_word_is_linked_by_its_noun() -> None:
    """``t_user_info`` is the user table, ``tb_customer_base`` the customer one: a child's
    ``user_id``, ``uid`` or ``customer_id`` names it, though the key is a bare ``id`` and
    no foreign key is declared (the usual lender schema)."""
    assert {"user", "user_info"} <= stems("t_user_info")
    assert "customer" in stems("tb_customer_base") and "loan" in stems("t_loan_detail")
    assert stems("info") == {"info"}  # a single word is its own noun
    users = TableFacts(
        "core",
        "t_user_info",
        (ColumnFacts("id", "integer"), ColumnFacts("real_name"), ColumnFacts("mobile")),
        ("id",),
    )
    children = [
        TableFacts(
            "core",
            table,
            (ColumnFacts("id", "integer"), ColumnFacts(column, "integer"), ColumnFacts(pi)),
            ("id",),
        )
        for table, column, pi in [
            ("t_user_bank_card", "user_id", "card_no"),
            ("t_device_info", "uid", "imei"),
        ]
    ]
    draft = build_draft("demo", [("core", "sql")], [*children, users])
    assert draft.root is not None and draft.root.table.name == "t_user_info"
    text = render(draft)
    assert "parent: {dataset: t_user_info, column: user_id}" in text
    assert "parent: {dataset: t_user_info, column: uid}" in text


@pytest.mark.parametrize(
    ("name", "comment", "table", "table_comment", "element"),
    [
        ("peer_phone", "", "call_record", "", "call_records"),
        ("callee_mobile", "", "t_call_log", "", "call_records"),
        ("dh", "对方号码", "t_thjl", "通话记录", "call_records"),
        ("other_mobile", "", "user_sms", "", "sms_records"),
        # the subject's own phone: a code sent to it, the app's own log of texts, no record
        ("phone", "", "sms_codes", "", "mobile_number"),
        ("receiver_mobile", "", "sms_log", "短信发送记录", "mobile_number"),
        ("peer_phone", "", "orders", "", "mobile_number"),
    ],
)
def test_x27_the_other_party_of_a_call_or_text_is_the_record_not_the_subjects_phone(
    name: str, comment: str, table: str, table_comment: str, element: str
) -> None:
    """A correction of the subject's phone writes every column holding mobile_number; a
    call record's other party must not be one of them."""
    guesses = classify_column(name, comment, table=table, table_comment=table_comment)
    assert guesses and guesses[0].element == element
