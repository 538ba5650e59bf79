"""The words of the seeds' modality, one field at a time: a maximum is not a fixed term,
an answer is not completion, "可能" is not "会", a permission prompt is not a separate
consent, and a separate consent covers only the PI it names."""

from __future__ import annotations

from typing import Any

import pytest

from yinsi.declaration.schema import ConsentItem, Deadline, RetentionRule
from yinsi.declaration.view import covers_separately
from yinsi.policy.phrases import consent_sentence, provision_clause
from yinsi.policy.retention import period_cell, retention_phrase
from yinsi.policy.rights import deadline_phrase, reply_phrase
from yinsi.taxonomy import ConsentKind, DeadlineQualifier, Likelihood


def rule(**fields: Any) -> RetentionRule:
    return RetentionRule.model_validate({"id": "r", "label": "个人信息", **fields})


@pytest.mark.parametrize(
    ("fields", "phrase", "cell"),
    [
        # 小赢卡贷 第6节 "最长不超过您注销账户后[5]年"
        (
            {
                "period": "5y",
                "bound": "at_most",
                "starts": "account_cancellation",
                "then": "delete_or_anonymise",
            },
            "最长不超过您注销账户后5年，期限届满后删除或匿名化处理",
            "最长不超过5年",
        ),
        # 小赢卡贷 第6节 "存储期限不会超过一个月": no start named
        ({"period": "1m", "bound": "at_most"}, "最长不超过1个月", "最长不超过1个月"),
        (
            {"period": "30d", "bound": "exactly", "starts": "collection", "then": "anonymise"},
            "自收集之日起保存30日，期限届满后匿名化处理",
            "30日",
        ),
        ({"period": "0d", "bound": "exactly", "then": "delete"}, "不保存", "不保存"),
        # 我来数科 （五）2: no period, the seed's own rule; no end action stated
        (
            {"basis": "我们仅会在必需期间和符合法律法规要求的时限内保留您的信息。"},
            "我们仅会在必需期间和符合法律法规要求的时限内保留您的信息",
            "",
        ),
    ],
)
def test_retention_in_its_declared_modality(fields: dict[str, Any], phrase: str, cell: str) -> None:
    r = rule(**fields)
    assert retention_phrase(r) == phrase
    assert period_cell(r) == cell


@pytest.mark.parametrize(
    ("fields", "phrase"),
    [
        (
            {
                "verb": "answer",
                "qualifier": "in_principle",
                "counted_from": "receipt_and_verification",
            },
            "我们原则上将在收到您的请求并验证您的身份后15个工作日内答复。",
        ),
        ({"verb": "process"}, "我们将在15个工作日内对您的请求进行处理。"),
        (
            {"verb": "complete", "counted_from": "receipt"},
            "我们将在收到您的请求后15个工作日内处理完成。",
        ),
        (
            {"verb": "process_or_reply", "counted_from": "receipt"},
            "我们将在收到您的请求后15个工作日内进行处理或反馈。",
        ),
        (
            {
                "verb": "answer",
                "counted_from": "verification",
                "target_working_days": 3,
                "target_verb": "complete",
            },
            "我们将在验证您的身份后15个工作日内答复，一般情况下在3个工作日内处理完成。",
        ),
        ({"counted_from": "verification"}, "验证您的身份后15个工作日内。"),
    ],
)
def test_deadline_in_its_declared_words(fields: dict[str, Any], phrase: str) -> None:
    assert deadline_phrase(Deadline.model_validate({"working_days": 15, **fields})) == phrase


def test_reply_time_keeps_its_hedge() -> None:
    assert reply_phrase(15, DeadlineQualifier.GENERALLY).startswith(
        "对于您的问题、意见或建议，一般情况下，我们将在15个工作日内"
    )
    assert "原则上" not in reply_phrase(15) and "一般情况下" not in reply_phrase(15)


def test_provision_says_may_or_will_only_when_declared() -> None:
    assert provision_clause(Likelihood.MAY, "甲") == "我们可能会向甲提供相关个人信息"
    assert provision_clause(Likelihood.WILL, "甲") == "我们会向甲提供相关个人信息"
    assert provision_clause(None, "甲") == "我们向甲提供相关个人信息"


def test_each_kind_of_consent_in_its_own_words() -> None:
    assert (
        consent_sentence(ConsentKind.SEPARATE, "在您注册时") == "我们将在您注册时征求您的单独同意。"
    )
    assert (
        consent_sentence(ConsentKind.WRITTEN, "在每次处理前")
        == "我们将在每次处理前取得您的书面同意。"
    )
    assert consent_sentence(ConsentKind.OPT_OUT) == "该项处理默认开启，您可以将其关闭。"
    # Nothing about timing or manner that the declaration does not state.
    assert consent_sentence(ConsentKind.PERMISSION_PROMPT) == ""
    assert consent_sentence(ConsentKind.DEEMED, "在您注册时") == ""


def test_a_separate_consent_covers_only_the_elements_it_names() -> None:
    def item(kind: str, elements: list[str]) -> ConsentItem:
        return ConsentItem(id="c", label="同意", kind=ConsentKind(kind), elements=elements)

    assert covers_separately(item("separate", ["id_number"]), "id_number")
    assert not covers_separately(item("separate", ["id_number"]), "face")
    assert not covers_separately(item("separate", []), "id_number")  # names none: covers none
    assert covers_separately(item("written", ["credit_report"]), "credit_report")
    for weak in ("general", "permission_prompt", "deemed", "opt_out", "guardian"):
        assert not covers_separately(item(weak, ["face"]), "face"), weak
