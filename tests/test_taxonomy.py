"""The taxonomy: stable ids, Chinese labels, sensitive flags after GB/T 35273 Annex B."""

from __future__ import annotations

import re

import pytest

from yinsi.taxonomy import (
    BUILTIN,
    ConsentKind,
    DeadlineQualifier,
    DeadlineVerb,
    Element,
    FinancialGrade,
    LegalBasis,
    Likelihood,
    RecipientKind,
    RetentionBound,
    RetentionStart,
)

ID = re.compile(r"^[a-z][a-z0-9_]*$")


def test_ids_are_stable_snake_case_and_labels_chinese() -> None:
    for catalogue in (BUILTIN.categories, BUILTIN.elements, BUILTIN.purposes, BUILTIN.permissions):
        assert catalogue
        for key, entry in catalogue.items():
            assert ID.match(key), key
            chinese = re.search(r"[\u4e00-\u9fff]", entry.label)
            acronym = re.fullmatch(r"[A-Za-z]+( [A-Z]{2,})?", entry.label)  # IMEI, Android ID
            assert chinese or acronym, key


def test_every_element_is_in_a_known_category() -> None:
    for element in BUILTIN.elements.values():
        assert element.category in BUILTIN.categories, element.id


@pytest.mark.parametrize(
    "element_id",
    [
        "id_number",
        "face",
        "bank_card",
        "precise_location",
        "address_book",
        "transaction_records",
        "credit_report",
    ],
)
def test_annex_b_sensitive_elements(element_id: str) -> None:
    assert BUILTIN.is_sensitive(element_id)


@pytest.mark.parametrize(
    "element_id", ["mobile_number", "device_model", "ip_address", "coarse_location"]
)
def test_ordinary_elements(element_id: str) -> None:
    assert not BUILTIN.is_sensitive(element_id)


def test_financial_grades_follow_jr_t_0171() -> None:
    assert BUILTIN.element("password").grade is FinancialGrade.C3
    assert BUILTIN.element("face").grade is FinancialGrade.C3
    assert BUILTIN.element("bank_card").grade is FinancialGrade.C2
    assert BUILTIN.element("account_opening_time").grade is FinancialGrade.C1


def test_pipl_art_13_has_consent_and_six_exceptions() -> None:
    assert len(LegalBasis) == 7
    assert [b for b in LegalBasis if b.needs_consent] == [LegalBasis.CONSENT]
    assert LegalBasis("contract").label.startswith("为订立、履行")


def test_consent_kinds_and_recipient_kinds() -> None:
    assert {k.value for k in ConsentKind} == {
        "general",
        "separate",
        "written",
        "permission_prompt",
        "deemed",
        "opt_out",
        "guardian",
    }
    # Only separate and written consent satisfy PIPL Arts. 23, 25, 29, 39.
    assert [k for k in ConsentKind if k.is_separate] == [ConsentKind.SEPARATE, ConsentKind.WRITTEN]
    assert not ConsentKind.DEEMED.is_explicit and not ConsentKind.OPT_OUT.is_explicit
    assert ConsentKind.PERMISSION_PROMPT.is_explicit
    assert (
        ConsentKind.DEEMED.strength < ConsentKind.GENERAL.strength < ConsentKind.SEPARATE.strength
    )
    assert ConsentKind.SEPARATE.strength < ConsentKind.WRITTEN.strength
    assert ConsentKind("permission_prompt").label == "系统权限授权"
    assert ConsentKind("deemed").label == "视为同意"
    assert {k.value for k in RecipientKind} == {
        "affiliate",
        "entrusted_processor",
        "other_handler",
        "sdk",
        "public_disclosure",
        "cross_border",
    }
    assert not RecipientKind.ENTRUSTED_PROCESSOR.needs_separate_consent
    assert RecipientKind.CROSS_BORDER.needs_separate_consent


def test_modality_vocabularies_say_the_policy_s_words() -> None:
    assert RetentionBound("at_most").label == "最长不超过"
    assert RetentionBound("exactly").label == "保存"
    assert RetentionStart.ACCOUNT_CANCELLATION.event == "您注销账户"
    assert all(start.event for start in RetentionStart)
    assert {v.value: v.label for v in DeadlineVerb} == {
        "answer": "答复",
        "complete": "处理完成",
        "process": "对您的请求进行处理",
        "process_or_reply": "进行处理或反馈",
    }
    assert DeadlineQualifier("in_principle").label == "原则上"
    assert {v.value for v in Likelihood} == {"may", "will"}


def test_extending_adds_and_refines_without_touching_the_builtin() -> None:
    extended = BUILTIN.extended(
        elements=[
            Element("sesame_score", "芝麻分", "property", True),
            Element("address", "住址", "basic_profile", True),
        ]
    )
    assert extended.is_sensitive("sesame_score") and extended.is_sensitive("address")
    assert "sesame_score" not in BUILTIN.elements and not BUILTIN.is_sensitive("address")
