"""Delivery adapters against real servers the tests start (issue 14, Build 1).

Each test proves the message ARRIVED — at a local HTTP endpoint standing for the SMS
gateway, the push webhook, the Alibaba Cloud or Tencent Cloud SMS API (their SDKs pointed
at it), or at an aiosmtpd SMTP server — with its content and a valid signature, not only
that a result says so.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import logging
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from delivery_fixtures import Endpoint, free_port, running_endpoint, self_signed, smtp_server
from yinsi.delivery import (
    Channel,
    EmailMessage,
    Outcome,
    Purpose,
    PushMessage,
    Retry,
    SmsMessage,
    build_senders,
)
from yinsi.delivery.cloud_sms import AliyunSms, TencentSms
from yinsi.delivery.demo import DemoSender
from yinsi.delivery.signed_http import HttpSmsGateway, PushWebhook
from yinsi.delivery.signing import valid
from yinsi.delivery.smtp import SmtpSender
from yinsi.settings import SettingsError, load_settings

FAST = Retry(attempts=3, backoff_s=0, timeout_s=5)
SECRET = "gateway-secret-0123456789"
PHONE = "13812341234"
CODE_SMS = SmsMessage(
    PHONE,
    Purpose.VERIFICATION,
    "【小赢卡贷】您正在申请行使个人信息权利，验证码482913，10分钟内有效。",
    {"code": "482913", "minutes": "10"},
    secret=True,
)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    with running_endpoint() as started:
        yield started


def _hmac(timestamp: str, body: bytes) -> str:
    mac = hmac.new(SECRET.encode(), timestamp.encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# ------------------------------------------------------------------ generic gateway


def test_http_gateway_delivers_a_signed_json_message(endpoint: Endpoint) -> None:
    result = HttpSmsGateway(endpoint.url + "/sms", SECRET, FAST).send(CODE_SMS)
    assert result.outcome is Outcome.DELIVERED and result.attempts == 1
    assert result.provider_id == "gw-1"  # the gateway's id from its answer
    (got,) = endpoint.arrived
    assert got.method == "POST" and got.path == "/sms"
    body = got.json()
    assert body["phone"] == PHONE and body["purpose"] == "verification"
    assert "482913" in body["text"] and body["params"] == {"code": "482913", "minutes": "10"}
    stamp, signature = got.headers["X-Yinsi-Timestamp"], got.headers["X-Yinsi-Signature"]
    assert signature == _hmac(stamp, got.body)  # the documented scheme, recomputed here
    assert valid(SECRET, stamp, got.body, signature)
    assert got.headers["Idempotency-Key"] == body["id"]


def test_http_gateway_retries_5xx_then_delivers_with_the_same_message_id(
    endpoint: Endpoint,
) -> None:
    endpoint.statuses = [503, 502, 200]
    result = HttpSmsGateway(endpoint.url, SECRET, FAST).send(CODE_SMS)
    assert result.outcome is Outcome.DELIVERED and result.attempts == 3
    assert len(endpoint.arrived) == 3
    assert len({a.headers["Idempotency-Key"] for a in endpoint.arrived}) == 1


def test_http_gateway_fails_after_the_retries_and_at_once_on_4xx(endpoint: Endpoint) -> None:
    endpoint.statuses = [500]
    failed = HttpSmsGateway(endpoint.url, SECRET, FAST).send(CODE_SMS)
    assert failed.outcome is Outcome.FAILED and failed.attempts == 3
    assert failed.error is not None and "HTTP 500" in failed.error
    assert "482913" not in failed.error
    endpoint.arrived.clear()
    endpoint.statuses = [403]
    refused = HttpSmsGateway(endpoint.url, SECRET, FAST).send(CODE_SMS)
    assert refused.outcome is Outcome.FAILED and refused.attempts == 1
    assert len(endpoint.arrived) == 1


def test_http_gateway_unreachable_is_retried_then_failed() -> None:
    result = HttpSmsGateway(f"http://127.0.0.1:{free_port()}", SECRET, FAST).send(CODE_SMS)
    assert result.outcome is Outcome.FAILED and result.attempts == 3
    assert result.error is not None and "无法连接" in result.error


def test_backoff_doubles_and_is_bounded() -> None:
    retry = Retry(attempts=10, backoff_s=1.0)
    assert [retry.pause(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert retry.pause(9) == 30.0


def test_push_webhook_delivers_a_signed_notice(endpoint: Endpoint) -> None:
    message = PushMessage("u_1001", Purpose.INCIDENT_NOTICE, "安全事件告知", "请警惕诈骗电话。")
    result = PushWebhook(endpoint.url + "/push", SECRET, FAST).send(message)
    assert result.delivered
    (got,) = endpoint.arrived
    body = got.json()
    assert body["user_id"] == "u_1001" and body["title"] == "安全事件告知"
    assert body["body"] == "请警惕诈骗电话。" and body["purpose"] == "incident_notice"
    assert valid(
        SECRET, got.headers["X-Yinsi-Timestamp"], got.body, got.headers["X-Yinsi-Signature"]
    )


# ------------------------------------------------------------------ cloud SMS


def test_aliyun_sends_sign_name_template_and_phone(endpoint: Endpoint) -> None:
    endpoint.answer = lambda _: {
        "Code": "OK",
        "Message": "OK",
        "BizId": "biz-900",
        "RequestId": "req-1",
    }
    sender = AliyunSms(
        "LTAI-test",
        "aliyun-secret",
        "小赢卡贷",
        {"verification": "SMS_154950909"},
        endpoint=endpoint.url,
        retry=FAST,
    )
    result = sender.send(CODE_SMS)
    assert result.outcome is Outcome.DELIVERED and result.provider_id == "biz-900"
    (got,) = endpoint.arrived
    fields = {**parse_qs(got.path.partition("?")[2]), **parse_qs(got.body.decode())}
    value = {k: v[0] for k, v in fields.items()}
    assert got.headers["x-acs-action"] == "SendSms" and value["PhoneNumbers"] == PHONE
    assert value["SignName"] == "小赢卡贷" and value["TemplateCode"] == "SMS_154950909"
    assert value["TemplateParam"] == '{"code": "482913", "minutes": "10"}'
    assert "Credential=LTAI-test" in got.headers["Authorization"]  # signed with the key


def test_aliyun_refusal_fails_without_retry_and_missing_template_names_the_setting(
    endpoint: Endpoint,
) -> None:
    endpoint.answer = lambda _: {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad"}
    sender = AliyunSms(
        "id", "s", "签名", {"verification": "SMS_1"}, endpoint=endpoint.url, retry=FAST
    )
    result = sender.send(CODE_SMS)
    assert result.outcome is Outcome.FAILED and result.attempts == 1
    assert result.error is not None and "isv.MOBILE_NUMBER_ILLEGAL" in result.error
    untemplated = AliyunSms("id", "s", "签名", {}, endpoint=endpoint.url, retry=FAST)
    missing = untemplated.send(CODE_SMS)
    assert missing.outcome is Outcome.FAILED and missing.error is not None
    assert "YINSI_DELIVERY__SMS__TEMPLATES" in missing.error and len(endpoint.arrived) == 1


def test_aliyun_retries_a_5xx(endpoint: Endpoint) -> None:
    endpoint.statuses = [503, 200]
    endpoint.answer = lambda _: {"Code": "OK", "BizId": "biz-2", "RequestId": "r"}
    sender = AliyunSms(
        "id", "s", "签名", {"verification": "SMS_1"}, endpoint=endpoint.url, retry=FAST
    )
    result = sender.send(CODE_SMS)
    assert result.outcome is Outcome.DELIVERED and result.attempts == 2


def _tencent_ok(_: object) -> dict[str, object]:
    status = {"SerialNo": "2433:9988", "PhoneNumber": "+8613812341234", "Code": "Ok"}
    return {"Response": {"SendStatusSet": [status], "RequestId": "r-1"}}


def test_tencent_sends_sign_name_template_and_phone(endpoint: Endpoint) -> None:
    endpoint.answer = _tencent_ok
    sender = TencentSms(
        "AKID-test",
        "tencent-key",
        "1400006666",
        "小赢卡贷",
        {"verification": "449739"},
        endpoint=endpoint.url,
        retry=FAST,
    )
    result = sender.send(CODE_SMS)
    assert result.outcome is Outcome.DELIVERED and result.provider_id == "2433:9988"
    (got,) = endpoint.arrived
    assert got.headers["X-TC-Action"] == "SendSms"
    assert "AKID-test" in got.headers["Authorization"]
    body = got.json()
    assert body["PhoneNumberSet"] == ["+8613812341234"] and body["SignName"] == "小赢卡贷"
    assert body["TemplateId"] == "449739" and body["SmsSdkAppId"] == "1400006666"
    assert body["TemplateParamSet"] == ["482913", "10"]


def test_tencent_per_number_refusal_fails(endpoint: Endpoint) -> None:
    endpoint.answer = lambda _: {
        "Response": {"SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberDailyLimit"}]}
    }
    sender = TencentSms(
        "a", "b", "1", "签名", {"verification": "1"}, endpoint=endpoint.url, retry=FAST
    )
    result = sender.send(CODE_SMS)
    assert result.outcome is Outcome.FAILED and result.error is not None
    assert "PhoneNumberDailyLimit" in result.error


# ------------------------------------------------------------------ SMTP


def _received(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_smtp_plain_with_login_delivers_the_mail_and_its_attachment() -> None:
    controller, box = smtp_server(users={"yinsi": "mail-pw"})
    try:
        sender = SmtpSender(
            "127.0.0.1",
            box.port,
            "privacy@lender.example",
            security="plain",
            username="yinsi",
            password="mail-pw",
            retry=FAST,
        )
        report = ("inc_1-report.md", "# 个人信息安全事件报告".encode(), "text/markdown")
        message = EmailMessage(
            "report@cac.example", Purpose.REGULATOR_REPORT, "事件报告", "见附件。", report
        )
        result = sender.send(message)
    finally:
        controller.stop()
    assert result.delivered and result.provider_id and result.provider_id.startswith("<")
    assert box.logins == ["yinsi"]
    ((mail_from, rcpt, raw),) = box.messages
    assert mail_from == "privacy@lender.example" and rcpt == ["report@cac.example"]
    mail = _received(raw)
    assert mail["Subject"] == "事件报告"
    parts = list(mail.walk())
    assert any(p.get_filename() == "inc_1-report.md" for p in parts)
    texts = [p.get_payload(decode=True) for p in parts if p.get_content_type() == "text/plain"]
    assert "见附件。".encode() in texts[0]


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_smtp_over_tls(tmp_path: Path, security: str) -> None:
    server_tls, client_tls = self_signed(tmp_path)
    if security == "starttls":
        controller, box = smtp_server(
            users={"u": "p"}, tls_context=server_tls, require_starttls=True
        )
    else:
        controller, box = smtp_server(ssl_context=server_tls)
    try:
        sender = SmtpSender(
            "127.0.0.1",
            box.port,
            "privacy@lender.example",
            security=security,
            username="u" if security == "starttls" else None,
            password="p",
            retry=FAST,
            tls=client_tls,
        )
        result = sender.send(EmailMessage("dpo@lender.example", Purpose.REMINDER, "提醒", "正文"))
    finally:
        controller.stop()
    assert result.delivered, result.error
    assert len(box.messages) == 1 and b"dpo@lender.example" in box.messages[0][2]


def test_smtp_wrong_password_fails_at_once_and_no_server_is_retried() -> None:
    controller, box = smtp_server(users={"yinsi": "right"})
    try:
        sender = SmtpSender(
            "127.0.0.1", box.port, "a@b.example", security="plain", username="yinsi",
            password="wrong", retry=FAST,
        )  # fmt: skip
        refused = sender.send(EmailMessage("c@d.example", Purpose.REMINDER, "s", "b"))
    finally:
        controller.stop()
    assert refused.outcome is Outcome.FAILED and refused.attempts == 1
    assert refused.error is not None and "用户名和密码" in refused.error and not box.messages
    down = SmtpSender("127.0.0.1", free_port(), "a@b.example", security="plain", retry=FAST)
    failed = down.send(EmailMessage("c@d.example", Purpose.REMINDER, "s", "b"))
    assert failed.outcome is Outcome.FAILED and failed.attempts == 3


# ------------------------------------------------------------------ demo, settings


def test_demo_sender_logs_no_code_no_text_and_keeps_only_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    demo = DemoSender()
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        assert demo.send(CODE_SMS).delivered
    demo.send(PushMessage("u1", Purpose.INCIDENT_NOTICE, "标题机密", "正文机密"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "482913" not in logged and "机密" not in logged and PHONE not in logged
    assert "138****1234" in logged and "verification" in logged
    assert demo.count == {Channel.SMS: 3, Channel.PUSH: 1}
    assert set(vars(demo)) == {"count"}  # nothing else is kept


def test_settings_choose_the_adapters_and_name_missing_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("YINSI_DELIVERY__SMS__PROVIDER", "http")
    monkeypatch.setenv("YINSI_DELIVERY__SMS__URL", "http://127.0.0.1:9/sms")
    monkeypatch.setenv("YINSI_DELIVERY__SMS__SECRET", SECRET)
    monkeypatch.setenv("YINSI_DELIVERY__EMAIL__PROVIDER", "smtp")
    monkeypatch.setenv("YINSI_DELIVERY__EMAIL__HOST", "smtp.lender.example")
    monkeypatch.setenv("YINSI_DELIVERY__EMAIL__SENDER", "privacy@lender.example")
    settings = load_settings()
    assert SECRET not in repr(settings)
    senders = build_senders(settings.delivery)
    assert isinstance(senders.sms, HttpSmsGateway) and isinstance(senders.email, SmtpSender)
    assert senders.push is None
    demo = build_senders(settings.delivery, demo=True)
    assert isinstance(demo.sms, HttpSmsGateway) and isinstance(demo.push, DemoSender)
    monkeypatch.setenv("YINSI_DELIVERY__SMS__PROVIDER", "aliyun")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "YINSI_DELIVERY__SMS__KEY_ID" in str(caught.value)
    assert "YINSI_DELIVERY__SMS__SIGN_NAME" in str(caught.value)


def test_tencent_retries_a_5xx_then_delivers(endpoint: Endpoint) -> None:
    endpoint.statuses = [502, 200]
    endpoint.answer = _tencent_ok
    sender = TencentSms(
        "a", "b", "1", "签名", {"verification": "1"}, endpoint=endpoint.url, retry=FAST
    )
    result = sender.send(CODE_SMS)
    assert result.outcome is Outcome.DELIVERED and result.attempts == 2
    assert len(endpoint.arrived) == 2


@pytest.mark.parametrize("module", ["alibabacloud_dysmsapi20170525", "tencentcloud"])
def test_a_missing_cloud_sdk_says_what_to_install(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from yinsi.delivery import SdkMissing

    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")] + [module]:
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    with pytest.raises(SdkMissing, match=r"pip install 'yinsi\[cloud-sms\]'"):
        if module == "tencentcloud":
            TencentSms("a", "b", "1", "签名", {})
        else:
            AliyunSms("a", "b", "签名", {})
