"""The privacy center's notice after "send code": fixed texts, or a wait in seconds only."""

from __future__ import annotations

from yinsi.web.privacy.rights import sms_flash


def test_x35_a_limited_send_says_how_long_to_wait() -> None:
    assert sms_flash("wait45") == "验证码发送过于频繁，请45秒后再试。"


def test_x35_a_request_out_of_codes_says_what_to_do_instead() -> None:
    assert "身份证号后六位" in sms_flash("capped")


def test_the_query_cannot_put_text_of_its_own_on_the_page() -> None:
    for hostile in ("wait<script>", "wait", "wait-1", "wait99999999999", "anything"):
        assert sms_flash(hostile) == ""
