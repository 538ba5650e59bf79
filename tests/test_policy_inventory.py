"""Issue 13, Build 4 (A): a PI inventory, lists published elsewhere, "not stated",
retention per element and "not retained", and device permissions not tied to a scenario.

For each: the schema accepts it, the render says exactly what is declared (with its
sources, and nothing about what is left out), the lint reports the gap where the law asks
for more, and ``yinsi diff`` judges a widening change material and a narrowing one not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from yinsi.declaration import Declaration, DeclarationError, loads
from yinsi.declaration.diff import Change, diff
from yinsi.declaration.lint import lint_text
from yinsi.declaration.loader import parse
from yinsi.policy import DOCS
from yinsi.policy.documents import Rendered, rendered
from yinsi.policy.provenance import parse_path

MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"
CLAIMS = ("fact", "commitment", "negative")

Data = dict[str, Any]

EXTRA = """
taxonomy:
  elements:
    - {id: card_cvv, label: 银行卡安全码, category: property, sensitive: true, grade: C3}
pi_inventory:
  - id: device
    label: 设备信息
    elements: [device_id, ip_address]
    purposes: [anti_fraud]
    methods: [automatic]
  - id: from_partners
    label: 第三方提供的信息
    elements: [credit_report, social_security]
    source: 经您授权从依法设立的征信机构获取
    note: 我们会要求第三方说明个人信息来源。
published_elsewhere:
  sdks: {title: 第三方SDK目录, url: "https://example.com/sdk-list"}
  recipients: {title: 《第三方信息共享清单》, where: 我的-设置-隐私-第三方信息共享清单}
app_permissions:
  - {permission: camera, purpose: 拍摄并上传身份证照片, when: on_use, required: false, fallback: 您可以选择从相册上传}
  - {permission: storage}
retention:
  - {id: cvv, label: 金融鉴别信息, elements: [card_cvv], not_retained: true, basis: 仅用于完成本次交易}
  - {id: face_digest, label: 人脸信息, elements: [face], kept_as: digest, period: 5y, bound: at_most, starts: account_cancellation}
"""


def data(**changes: Any) -> Data:
    """minimal.yaml with the sections above merged in (lists appended, maps merged)."""
    base: Data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    for key, value in yaml.safe_load(EXTRA).items():
        if isinstance(value, list):
            base[key] = [*base.get(key, []), *value]
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            for sub, items in value.items():
                base[key][sub] = [*base[key].get(sub, []), *items]
        else:
            base[key] = value
    base["recipients"].append(
        {
            "id": "partner",
            "kind": "entrusted_processor",
            "name": "示例云服务有限公司",
            "purposes": ["anti_fraud"],
            "delete_on_end": True,
            "elements": "not_stated",
        }
    )
    base.update(changes)
    return base


def text_of(d: Data) -> str:
    return yaml.safe_dump(d, allow_unicode=True, sort_keys=False)


def declared(d: Data | None = None) -> Declaration:
    return loads(text_of(d or data()), "inventory.yaml")


def policy(d: Data | None = None) -> Rendered:
    return rendered(declared(d), "policy")


@pytest.fixture(scope="module")
def out() -> Rendered:
    return policy()


def section(markdown: str, heading: str) -> str:
    start = markdown.index(heading)
    end = markdown.find("\n#", start + len(heading))
    return markdown[start : end if end >= 0 else None]


# ---------------------------------------------------------------- provenance of every claim


def test_every_claim_comes_from_a_written_value() -> None:
    text = text_of(data())
    marks = parse(text, "inventory.yaml")[1]
    for doc in DOCS:
        out = rendered(loads(text, "inventory.yaml"), doc)
        unwritten = [
            f"{s.statement.kind} {str(s.statement)[:50]!r} ← {p}"
            for s in out.spans
            if s.statement.kind in CLAIMS
            for p in s.statement.paths
            if parse_path(p) not in marks
        ]
        assert unwritten == [], doc


def _sources_of(out: Rendered, needle: str) -> set[str]:
    return {
        s for span in out.spans if needle in str(span.statement) for s in span.statement.sources
    }


# ---------------------------------------------------------------- 1. the PI inventory


def test_inventory_renders_a_table_by_category_with_only_what_is_stated(out: Rendered) -> None:
    part = section(out.markdown, "我们处理的个人信息")
    assert "本政策按类别列明我们处理的以下个人信息：" in part
    assert "| 设备信息 | 唯一设备标识符、IP地址 | 反欺诈" in part
    # no purpose and no method stated: empty cells, nothing invented
    assert (
        "| 第三方提供的信息 | 征信报告\\*、社保信息\\* | — | — | 经您授权从依法设立的征信机构获取 |"
        in part
    )
    assert "第三方提供的信息：我们会要求第三方说明个人信息来源。" in part
    assert "pi_inventory[0].elements" in _sources_of(out, "唯一设备标识符、IP地址")


def test_inventory_section_is_numbered_in_order_and_absent_without_an_inventory(
    out: Rendered,
) -> None:
    assert "### 1.3 我们处理的个人信息" in out.markdown
    plain = policy(data(pi_inventory=[], published_elsewhere={}))
    assert "我们处理的个人信息" not in plain.markdown


def test_inventory_lint_reports_pi_without_purpose() -> None:
    found = lint_text(text_of(data()), "inventory.yaml", select=["inventory-purpose"])
    assert [p.path for p in found] == [("pi_inventory", 1, "purposes")]
    assert "PIPL Art. 17 (2)" in found[0].message


def test_inventory_unknown_element_is_an_error() -> None:
    d = data()
    d["pi_inventory"][0]["elements"] = ["device_idd"]
    with pytest.raises(DeclarationError, match="device_idd"):
        declared(d)


# ---------------------------------------------------------------- 2. lists published elsewhere


def test_published_lists_say_where_and_claim_no_completeness(out: Rendered) -> None:
    md = out.markdown
    assert (
        "本平台接入的第三方SDK的清单见《第三方SDK目录》（<https://example.com/sdk-list>）。" in md
    )
    assert "本政策列出的第三方SDK如下" in md and "本平台接入的第三方SDK如下" not in md
    assert (
        "我们向其他个人信息处理者提供个人信息的清单见《第三方信息共享清单》，您可以在本平台App"
        "“我的-设置-隐私-第三方信息共享清单”中查看。"
    ) in md
    assert {"published_elsewhere.sdks.title", "tpl.published.sdks"} <= _sources_of(
        out, "第三方SDK目录"
    )


def test_a_published_sdk_list_alone_opens_the_sdk_section() -> None:
    out = policy(
        data(sdks=[])
        | {"published_elsewhere": {"sdks": {"title": "SDK目录", "url": "https://e.com/s"}}}
    )
    part = section(out.markdown, "第三方SDK\n")
    assert "清单见《SDK目录》" in part
    found = lint_text(text_of(data(sdks=[])), "x.yaml", select=["published-list-conflict"])
    assert [p.path for p in found] == [("sdks",)]
    d = data()
    del d["sdks"]
    out = policy(d)
    assert "清单见《第三方SDK目录》" in section(out.markdown, "第三方SDK\n")
    assert "未接入" not in out.markdown


def test_a_published_list_needs_a_url_or_a_place_in_the_app() -> None:
    with pytest.raises(DeclarationError, match="url"):
        declared(data(published_elsewhere={"sdks": {"title": "SDK目录"}}))


# ---------------------------------------------------------------- 3. not stated


def test_not_stated_elements_render_nothing_and_are_a_lint_gap(out: Rendered) -> None:
    line = next(x for x in out.markdown.splitlines() if "示例云服务有限公司" in x)
    assert "委托目的：反欺诈" in line and "涉及的个人信息" not in line and "；；" not in line
    found = lint_text(text_of(data()), "inventory.yaml", select=["not-stated"])
    assert [p.path for p in found] == [("recipients", 3, "elements")]
    assert "PIPL Arts. 17 (2), 23" in found[0].message
    d = declared()
    assert d.recipients[3].elements == [] and d.recipients[3].not_stated == ["elements"]


def test_a_recipient_without_elements_must_say_not_stated() -> None:
    d = data()
    d["recipients"][3]["elements"] = []
    with pytest.raises(DeclarationError, match="not_stated"):
        declared(d)


def test_not_stated_survives_a_round_trip() -> None:
    d = declared()
    again = Declaration.model_validate(d.model_dump(mode="json"))
    assert again.recipients[3].not_stated == ["elements"]


# ---------------------------------------------------------------- 4. retention per element


def test_retention_per_element_and_not_retained(out: Rendered) -> None:
    table = section(out.markdown, " 保存期限\n")
    assert "| 金融鉴别信息（银行卡安全码\\*） | 不保存 | — | — | — | 仅用于完成本次交易 |" in table
    assert "| 人脸信息（人脸信息\\*） | 仅保存摘要，最长不超过5年 |" in table
    assert "保存0" not in out.markdown
    assert "retention[2].elements" in _sources_of(out, "银行卡安全码")
    assert any(
        str(s.statement) == "不保存" and "retention[2].not_retained" in s.statement.sources
        for s in out.spans
    )


def test_not_retained_excludes_a_period() -> None:
    d = data()
    d["retention"][2]["period"] = "1m"
    d["retention"][2]["bound"] = "at_most"
    with pytest.raises(DeclarationError, match="not_retained"):
        declared(d)


def test_digest_phrase() -> None:
    from yinsi.policy.retention import retention_phrase

    rule = declared().retention[3]
    assert retention_phrase(rule) == "不保存原始信息，仅保存其摘要，最长不超过您注销账户后5年"


# ---------------------------------------------------------------- 5. app permissions


def test_app_permissions_render_their_own_table(out: Rendered) -> None:
    part = section(out.markdown, "设备权限的调用")
    assert "我们会申请调用以下设备权限，其使用目的如下：" in part
    assert (
        "| 相机 | 拍摄并上传身份证照片 | 仅在您使用相关功能时调用 | 非必需，可拒绝 | 您可以选择从相册上传 |"
        in part
    )
    # nothing stated but the permission: nothing said about it
    assert "| 存储（读写SD卡） | — | — | — | — |" in part


def test_app_permission_lint_and_references() -> None:
    found = lint_text(text_of(data()), "inventory.yaml", select=["permission-purpose"])
    assert [p.path for p in found] == [("app_permissions", 1, "purpose")]
    assert "认定方法 二.3" in found[0].message
    d = data()
    d["app_permissions"].append({"permission": "camera"})
    with pytest.raises(DeclarationError, match="listed twice"):
        declared(d)


# ---------------------------------------------------------------- diff: judged by effect


def changed(edit: Any) -> list[Change]:
    old = data()
    new = data()
    edit(new)
    return diff(declared(old), declared(new))


def one(changes: list[Change], section_: str, key: str, field: str | None) -> Change:
    (c,) = [c for c in changes if (c.section, c.key, c.field) == (section_, key, field)]
    return c


@pytest.mark.parametrize(
    ("edit", "where", "material"),
    [
        (
            lambda d: d["pi_inventory"][0]["elements"].append("imei"),
            ("pi_inventory", "device", "elements"),
            True,
        ),
        (
            lambda d: d["pi_inventory"][0]["elements"].append("mobile_number"),
            ("pi_inventory", "device", "elements"),
            False,
        ),
        (
            lambda d: d["pi_inventory"][0]["elements"].pop(),
            ("pi_inventory", "device", "elements"),
            False,
        ),
        (
            lambda d: d["pi_inventory"][0]["purposes"].append("marketing"),
            ("pi_inventory", "device", "purposes"),
            True,
        ),
        (
            lambda d: d["pi_inventory"][0].update(label="设备与网络信息"),
            ("pi_inventory", "device", "label"),
            False,
        ),
        (
            lambda d: d["pi_inventory"].append(
                {"id": "more", "label": "其他", "elements": ["imei"]}
            ),
            ("pi_inventory", "more", None),
            True,
        ),
        (
            lambda d: d["pi_inventory"].append(
                {"id": "same", "label": "账户", "elements": ["mobile_number"]}
            ),
            ("pi_inventory", "same", None),
            False,
        ),
        (
            lambda d: d["published_elsewhere"].pop("sdks"),
            ("published_elsewhere", "sdks", "sdks"),
            True,
        ),
        (
            lambda d: d["published_elsewhere"]["sdks"].update(url="https://example.com/v2"),
            ("published_elsewhere", "sdks", "sdks.url"),
            False,
        ),
        (
            lambda d: d["published_elsewhere"].update(
                permissions={"title": "权限清单", "where": "设置"}
            ),
            ("published_elsewhere", "permissions", "permissions"),
            False,
        ),
        (
            lambda d: d["recipients"][0].update(elements="not_stated"),
            ("recipients", "group_tech", "not_stated"),
            True,
        ),
        (
            lambda d: d["recipients"][3].update(elements=["device_id"]),
            ("recipients", "partner", "not_stated"),
            False,
        ),
        (
            lambda d: d["retention"][2].pop("not_retained"),
            ("retention", "cvv", "not_retained"),
            True,
        ),
        (lambda d: d["retention"][3].pop("kept_as"), ("retention", "face_digest", "kept_as"), True),
        (
            lambda d: d["retention"][1].update(elements=["device_id"]),
            ("retention", "browse", "elements"),
            True,
        ),
        (
            lambda d: d["retention"][2]["elements"].append("transaction_password"),
            ("retention", "cvv", "elements"),
            False,
        ),
        (
            lambda d: d["app_permissions"].append({"permission": "contacts"}),
            ("app_permissions", "contacts", None),
            True,
        ),
        (
            lambda d: d["app_permissions"].append({"permission": "location"}),
            ("app_permissions", "location", None),
            False,
        ),
        (
            lambda d: d["app_permissions"][0].update(required=True),
            ("app_permissions", "camera", "required"),
            True,
        ),
        (
            lambda d: d["app_permissions"][0].update(required=None),
            ("app_permissions", "camera", "required"),
            False,
        ),
        (
            lambda d: d["app_permissions"][0].update(when="at_launch"),
            ("app_permissions", "camera", "when"),
            True,
        ),
        (
            lambda d: d["app_permissions"][0].update(purpose="拍摄身份证照片并用于营销"),
            ("app_permissions", "camera", "purpose"),
            True,
        ),
        (lambda d: d["app_permissions"].pop(1), ("app_permissions", "storage", None), False),
    ],
)
def test_diff_judges_by_effect(
    edit: Any, where: tuple[str, str, str | None], material: bool
) -> None:
    change = one(changed(edit), *where)
    assert change.material is material, change
