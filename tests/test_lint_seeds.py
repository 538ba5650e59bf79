"""``yinsi lint`` on the two reference declarations: it reports, with citations, the real
gaps of their seed policies (the declarations state the seeds as they are, gaps
included), and none of the false alarms a lawyer would not trust."""

from __future__ import annotations

from functools import cache

import pytest

from conftest import EXAMPLES
from yinsi.declaration.errors import Problem
from yinsi.declaration.lint import BY_ID, lint_file

WOLAI = "wolai-shuke"
XIAOYING = "xiaoying-kadai"


@cache
def findings(seed: str, *rules: str) -> tuple[Problem, ...]:
    return tuple(lint_file(EXAMPLES / f"{seed}.yaml", rules or None))


def messages(seed: str, rule: str) -> list[str]:
    return [f"{p.path}: {p.message}" for p in findings(seed, rule)]


# (seed, rule, what the finding is about, citations its message carries)
GAPS = [
    (WOLAI, "necessary-pi", "'liveness_check' requires 人脸信息",
     ["必要个人信息范围规定 Art. 5 (12)", "必要个人信息范围规定 Art. 4", "PIPL Art. 16"]),
    (XIAOYING, "necessary-pi", "'credit_line_application' requires 身份证照片、人脸信息、月收入",
     ["必要个人信息范围规定 Art. 5 (12)", "PIPL Art. 16"]),
    (WOLAI, "third-party-credentials", "第三方账户账号、密码及运营商服务密码",
     ["JR/T 0171-2020", "PIPL Art. 6 para. 2", "征信业管理条例 Art. 18"]),
    (WOLAI, "credit-written-consent", "querying 征信报告", ["征信业管理条例 Art. 18"]),
    (WOLAI, "credit-written-consent", "providing credit information to 中国人民银行征信中心",
     ["征信业管理条例 Art. 29"]),
    (XIAOYING, "credit-written-consent", "querying 征信报告", ["征信业管理条例 Art. 18"]),
    (WOLAI, "credit-negative-notice", "negative information", ["征信业管理条例 Art. 15"]),
    (WOLAI, "automated-decision-rights", "'credit_assessment' assesses credit",
     ["PIPL Art. 73 (2)", "PIPL Art. 24 para. 3"]),
    (WOLAI, "pi-officer", "no PI protection officer", ["PIPL Art. 52"]),
    (WOLAI, "consent-mechanism", "an operating-system permission prompt", ["PIPL Art. 29"]),
    (WOLAI, "consent-mechanism", "a deemed consent (视为同意)", ["PIPL Art. 23"]),
    (XIAOYING, "consent-mechanism", "an opt-out setting", ["PIPL Art. 29"]),
    (WOLAI, "rights-conditions", "撤回同意 is subject to 「您满足撤回同意的条件」",
     ["网络数据安全管理条例 Art. 23"]),
    (WOLAI, "rights-conditions", "注销账号 is subject to 「您满足账户进行注销的条件」",
     ["网络数据安全管理条例 Art. 23", "认定方法 六.2"]),
    (XIAOYING, "rights-conditions", "注销账号 is subject to", ["网络数据安全管理条例 Art. 23"]),
    (WOLAI, "permission-mandatory", "存储（读写SD卡） permission required", ["GB/T 41391-2022"]),
    (WOLAI, "permission-mandatory", "网络访问及网络状态 permission required", ["GB/T 41391-2022"]),
    (WOLAI, "recipient-pi-placeholder", "“您的个人信息”", ["PIPL Art. 23"]),
    (XIAOYING, "recipient-pi-placeholder", "“您的个人信息”", ["PIPL Art. 23"]),
    (WOLAI, "sdk-role", "'极光推送SDK' receives PI but is not classified",
     ["PIPL Art. 21", "PIPL Art. 23"]),
    (XIAOYING, "sdk-role", "'百度定位' receives PI but is not classified",
     ["PIPL Art. 21", "PIPL Art. 23"]),
    (XIAOYING, "continued-use-acceptance", "deems continued use acceptance",
     ["PIPL Art. 14 para. 2"]),
    # （七）2 "您同意继续使用本平台服务的，应视为您接受…所做的修改".
    (WOLAI, "continued-use-acceptance", "deems continued use acceptance",
     ["PIPL Art. 14 para. 2"]),
]  # fmt: skip


@pytest.mark.parametrize(("seed", "rule", "about", "cites"), GAPS, ids=lambda x: str(x)[:40])
def test_lint_reports_the_real_gaps_of_the_seeds_with_citations(
    seed: str, rule: str, about: str, cites: list[str]
) -> None:
    hits = [m for m in messages(seed, rule) if about in m]
    assert hits, f"{rule} does not report {about!r} in {seed}: {messages(seed, rule)[:3]}"
    assert all(c in hits[0] for c in cites), hits[0]


def test_every_sdk_receiving_pi_is_reported_unclassified() -> None:
    """Neither seed says whether an SDK provider processes PI on its behalf or for itself."""
    for seed, count in ((WOLAI, 17), (XIAOYING, 23)):
        reported = findings(seed, "sdk-role")
        assert 0 < len(reported) <= count


@pytest.mark.parametrize("seed", [WOLAI, XIAOYING])
def test_no_separate_consent_demand_for_a_one_time_code_or_a_session_token(seed: str) -> None:
    """A one-time SMS code and a session cookie's token only prove who the user is: asking
    a separate consent for them would be a false alarm."""
    for p in findings(seed):
        said = p.message.split(" — waived (")[0]  # a waiver's reason is the declaration's
        if p.rule in ("separate-consent", "consent-mechanism", "sensitive-declassified"):
            for element in ("'sms_code'", "'login_token'", "短信验证码", "登录状态令牌"):
                assert element not in said, str(p)
        if p.rule == "necessary-pi":
            assert "短信验证码" not in p.message and "登录状态令牌" not in p.message


@pytest.mark.parametrize("seed", [WOLAI, XIAOYING])
def test_the_reference_declarations_have_no_errors_and_every_finding_a_rule(seed: str) -> None:
    everything = findings(seed)
    assert [str(p) for p in everything if p.severity == "error"] == []
    assert all(p.rule in BY_ID for p in everything)


@pytest.mark.parametrize("seed", [WOLAI, XIAOYING])
def test_no_waiver_of_the_reference_declarations_is_stale(seed: str) -> None:
    assert [str(p) for p in findings(seed, "waiver-unused")] == []


def test_a_right_missing_from_a_seed_is_reported_once() -> None:
    lines = [p.message for p in findings(WOLAI, "right-missing")]
    subjects = [m.split("the right of ")[1].split(" (")[0] for m in lines]
    assert len(subjects) == len(set(subjects))
    (access,) = [m for m in lines if "查阅" in m]
    assert "PIPL Art. 45" in access and "网络数据安全管理条例 Art. 21 (4)" in access
