"""A lender's database as yinsi meets it in the field, built for the tests (issue 17).

Nobody on the project would design it this way, which is the point: no declared foreign
keys, pinyin abbreviations for column names (``xm`` 姓名, ``sfzh`` 身份证号, ``sjh`` 手机号),
Chinese column comments, child tables that reference a loan application by ``apply_id``
rather than the user, references to non-primary keys (``repay_plan.loan_no`` →
``loan.loan_no``, ``cust_credit.cust_no`` → ``users.cust_no``), an ID table linked to the
user by ``user_id`` (``user_idcard``), and tables that hold no PI at all.

``build(url)`` creates the tables in an empty database (SQLite, PostgreSQL, MariaDB) and
fills them with synthetic people (``yinsi_demo.generators``: every value is made up, one
seed gives the same people); :data:`PI_COLUMNS`, :data:`LINKS` and :data:`ROOT` are the
ground truth a discovery must find; :func:`data_map_text` is a correct data map for the
schema (the 小赢卡贷 declaration's element ids), which tests break on purpose.
This module is imported by test modules (it is not a pytest plugin).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from yinsi_demo import generators as gen

metadata = sa.MetaData()


def _c(name: str, type_: Any, comment: str, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, type_, comment=comment, **kw)


users = sa.Table(
    "users",
    metadata,
    _c("uid", sa.Integer, "用户ID", primary_key=True, autoincrement=False),
    _c("cust_no", sa.String(32), "客户号", unique=True, nullable=False),
    _c("login_name", sa.String(64), "登录名"),
    _c("xm", sa.String(64), "姓名"),
    _c("sfzh", sa.String(18), "身份证号"),
    _c("sjh", sa.String(20), "手机号"),
    _c("yx", sa.String(128), "电子邮箱"),
    _c("csrq", sa.Date, "出生日期"),
    _c("xb", sa.String(4), "性别"),
    _c("reg_time", sa.DateTime, "注册时间"),
    _c("zt", sa.Integer, "账户状态 0正常 1注销"),
    comment="用户表",
)
user_idcard = sa.Table(
    "user_idcard",
    metadata,
    _c("id", sa.Integer, "主键", primary_key=True, autoincrement=False),
    _c("user_id", sa.Integer, "用户ID"),
    _c("real_name", sa.String(64), "真实姓名"),
    _c("id_no", sa.String(18), "证件号码"),
    _c("id_valid_to", sa.Date, "证件有效期"),
    _c("verified_at", sa.DateTime, "实名认证时间"),
    comment="实名认证表",
)
apply = sa.Table(
    "apply",
    metadata,
    _c("apply_id", sa.Integer, "申请ID", primary_key=True, autoincrement=False),
    _c("apply_no", sa.String(32), "申请编号", unique=True, nullable=False),
    _c("user_id", sa.Integer, "用户ID"),
    _c("apply_amt", sa.Numeric(12, 2), "申请金额"),
    _c("apply_time", sa.DateTime, "申请时间"),
    _c("work_unit", sa.String(128), "工作单位"),
    _c("month_income", sa.Integer, "月收入"),
    _c("home_addr", sa.String(255), "居住地址"),
    _c("status", sa.String(16), "申请状态"),
    comment="借款申请表",
)
loan = sa.Table(
    "loan",
    metadata,
    _c("loan_id", sa.Integer, "借据ID", primary_key=True, autoincrement=False),
    _c("loan_no", sa.String(32), "借据号", unique=True, nullable=False),
    _c("apply_id", sa.Integer, "申请ID"),
    _c("principal", sa.Numeric(12, 2), "借款本金"),
    _c("loan_status", sa.String(16), "借据状态 outstanding未结清 settled已结清"),
    _c("loan_date", sa.Date, "放款日期"),
    _c("settle_date", sa.Date, "结清日期", nullable=True),
    comment="借据表",
)
repay_plan = sa.Table(
    "repay_plan",
    metadata,
    _c("plan_id", sa.Integer, "还款计划ID", primary_key=True, autoincrement=False),
    _c("loan_no", sa.String(32), "借据号"),
    _c("term_no", sa.Integer, "期次"),
    _c("due_amt", sa.Numeric(12, 2), "应还金额"),
    _c("due_date", sa.Date, "应还日期"),
    _c("paid_at", sa.DateTime, "实还时间", nullable=True),
    comment="还款计划表",
)
user_contact = sa.Table(
    "user_contact",
    metadata,
    _c("id", sa.Integer, "主键", primary_key=True, autoincrement=False),
    _c("user_id", sa.Integer, "用户ID"),
    _c("lxr_xm", sa.String(64), "联系人姓名"),
    _c("lxr_dh", sa.String(20), "联系人电话"),
    _c("gx", sa.String(16), "与本人关系"),
    comment="紧急联系人表",
)
bank_card = sa.Table(
    "bank_card",
    metadata,
    _c("card_id", sa.Integer, "绑卡ID", primary_key=True, autoincrement=False),
    _c("user_id", sa.Integer, "用户ID"),
    _c("yhkh", sa.String(32), "银行卡号"),
    _c("khh", sa.String(64), "开户银行"),
    _c("ylsjh", sa.String(20), "银行预留手机号"),
    comment="绑定银行卡表",
)
cust_credit = sa.Table(
    "cust_credit",
    metadata,
    _c("id", sa.Integer, "主键", primary_key=True, autoincrement=False),
    _c("cust_no", sa.String(32), "客户号"),
    _c("zx_score", sa.Integer, "征信评分"),
    _c("query_time", sa.DateTime, "查询时间"),
    comment="客户征信表",
)
login_log = sa.Table(
    "login_log",
    metadata,
    _c("id", sa.Integer, "主键", primary_key=True, autoincrement=False),
    _c("uid", sa.Integer, "用户ID"),
    _c("login_ip", sa.String(45), "登录IP"),
    _c("device_id", sa.String(64), "设备号"),
    _c("login_time", sa.DateTime, "登录时间"),
    comment="登录日志",
)
product = sa.Table(
    "product",
    metadata,
    _c("product_id", sa.Integer, "产品ID", primary_key=True, autoincrement=False),
    _c("product_name", sa.String(64), "产品名称"),
    _c("annual_rate", sa.Numeric(6, 4), "年化利率"),
    _c("max_term", sa.Integer, "最长期数"),
    comment="产品表（无个人信息）",
)
sys_dict = sa.Table(
    "sys_dict",
    metadata,
    _c("id", sa.Integer, "主键", primary_key=True, autoincrement=False),
    _c("dict_key", sa.String(64), "字典键"),
    _c("dict_value", sa.String(255), "字典值"),
    comment="系统字典（无个人信息）",
)


@dataclass(frozen=True, slots=True)
class PiColumn:
    table: str
    column: str
    element: str


@dataclass(frozen=True, slots=True)
class Link:
    """``table.column`` holds ``parent.parent_column`` (no foreign key is declared)."""

    table: str
    column: str
    parent: str
    parent_column: str


ROOT = ("users", "uid")
"""The subject root: ``users.uid`` is the subject id."""

PI_COLUMNS: tuple[PiColumn, ...] = (
    PiColumn("users", "login_name", "account_id"),
    PiColumn("users", "xm", "name"),
    PiColumn("users", "sfzh", "id_number"),
    PiColumn("users", "sjh", "mobile_number"),
    PiColumn("users", "yx", "email"),
    PiColumn("users", "csrq", "birth_date"),
    PiColumn("users", "xb", "gender"),
    PiColumn("user_idcard", "real_name", "name"),
    PiColumn("user_idcard", "id_no", "id_number"),
    PiColumn("user_idcard", "id_valid_to", "id_validity"),
    PiColumn("apply", "apply_amt", "loan_records"),
    PiColumn("apply", "work_unit", "employer"),
    PiColumn("apply", "month_income", "monthly_income"),
    PiColumn("apply", "home_addr", "address"),
    PiColumn("user_contact", "lxr_xm", "emergency_contacts"),
    PiColumn("user_contact", "lxr_dh", "emergency_contacts"),
    PiColumn("user_contact", "gx", "emergency_contacts"),
    PiColumn("bank_card", "yhkh", "bank_card"),
    PiColumn("bank_card", "khh", "bank_card"),
    PiColumn("bank_card", "ylsjh", "bank_reserved_mobile"),
    PiColumn("cust_credit", "zx_score", "credit_score"),
    PiColumn("login_log", "login_ip", "ip_address"),
    PiColumn("login_log", "device_id", "device_id"),
    PiColumn("loan", "principal", "loan_records"),
    PiColumn("repay_plan", "due_amt", "bill_info"),
)
"""Every column holding PI, with the taxonomy element it holds."""

RECORD_COLUMNS: tuple[PiColumn, ...] = (PiColumn("repay_plan", "paid_at", "transaction_records"),)
"""Business records that are PI only through their link to a person (a repayment's date):
a data map holds them, but no name or value pattern gives them away. (A loan's or a
repayment's amount does: 借款本金, 应还金额 are the borrower's financial information.)"""

LINKS: tuple[Link, ...] = (
    Link("user_idcard", "user_id", "users", "uid"),
    Link("apply", "user_id", "users", "uid"),
    Link("loan", "apply_id", "apply", "apply_id"),
    Link("repay_plan", "loan_no", "loan", "loan_no"),
    Link("user_contact", "user_id", "users", "uid"),
    Link("bank_card", "user_id", "users", "uid"),
    Link("cust_credit", "cust_no", "users", "cust_no"),
    Link("login_log", "uid", "users", "uid"),
)
"""Every parent link; two reference non-primary keys (``loan_no``, ``cust_no``)."""

NO_PI_TABLES = ("product", "sys_dict")


@dataclass(frozen=True, slots=True)
class Person:
    uid: int
    cust_no: str
    name: str
    id_number: str
    phone: str
    loan_status: str | None
    """``outstanding``, ``settled`` or ``None`` (never borrowed)."""


@dataclass(frozen=True, slots=True)
class Lender:
    url: str
    people: tuple[Person, ...]

    def person(self, loan_status: str | None) -> Person:
        return next(p for p in self.people if p.loan_status == loan_status)


_RELATIONS = ("配偶", "父母", "子女", "朋友", "同事")
_NOW = datetime(2026, 6, 1, 9, 0)


def build(url: str, *, users_count: int = 12, seed: int = 17) -> Lender:
    """Create the schema in the empty database at ``url`` and fill it; return its people.

    People cycle through three profiles: an outstanding loan, a settled loan, no loan.
    """
    rng = random.Random(seed)
    uniques_phone: set[str] = set()
    engine = sa.create_engine(url)
    people: list[Person] = []
    rows: dict[str, list[dict[str, object]]] = {t.name: [] for t in metadata.sorted_tables}
    ids = {"contact": 0, "loan": 0, "plan": 0, "apply": 0, "log": 0}
    try:
        metadata.create_all(engine)
        for i in range(users_count):
            uid = 10001 + i
            district = rng.choice(gen.DISTRICTS)
            birth = date(1970 + rng.randrange(30), rng.randrange(1, 13), rng.randrange(1, 28))
            male = rng.random() < 0.5
            name = gen.name(rng)
            id_number = gen.id_number(rng, district, birth, male=male)
            phone = gen.mobile(rng)
            while phone in uniques_phone:
                phone = gen.mobile(rng)
            uniques_phone.add(phone)
            cust_no = f"C{20240000 + uid * 7}"
            status = ("outstanding", "settled", None)[i % 3]
            people.append(Person(uid, cust_no, name, id_number, phone, status))
            reg = _NOW - timedelta(days=400 + 3 * i)
            rows["users"].append(
                {
                    "uid": uid,
                    "cust_no": cust_no,
                    "login_name": phone,
                    "xm": name,
                    "sfzh": id_number,
                    "sjh": phone,
                    "yx": f"u{uid}@example.com",
                    "csrq": birth,
                    "xb": "男" if male else "女",
                    "reg_time": reg,
                    "zt": 0,
                }
            )
            rows["user_idcard"].append(
                {
                    "id": 500 + i,
                    "user_id": uid,
                    "real_name": name,
                    "id_no": id_number,
                    "id_valid_to": date(2036, birth.month, birth.day),
                    "verified_at": reg + timedelta(minutes=5),
                }
            )
            for _ in range(2):
                ids["contact"] += 1
                rows["user_contact"].append(
                    {
                        "id": ids["contact"],
                        "user_id": uid,
                        "lxr_xm": gen.name(rng),
                        "lxr_dh": gen.mobile(rng),
                        "gx": rng.choice(_RELATIONS),
                    }
                )
            card, bank = gen.bank_card(rng)
            rows["bank_card"].append(
                {"card_id": 700 + i, "user_id": uid, "yhkh": card, "khh": bank, "ylsjh": phone}
            )
            rows["cust_credit"].append(
                {
                    "id": 900 + i,
                    "cust_no": cust_no,
                    "zx_score": rng.randrange(450, 850),
                    "query_time": reg + timedelta(days=1),
                }
            )
            for k in range(2):
                ids["log"] += 1
                rows["login_log"].append(
                    {
                        "id": ids["log"],
                        "uid": uid,
                        "login_ip": gen.ipv4(rng),
                        "device_id": gen.device_id(rng),
                        "login_time": reg + timedelta(days=k * 30),
                    }
                )
            ids["apply"] += 1
            apply_id = 3000 + ids["apply"]
            rows["apply"].append(
                {
                    "apply_id": apply_id,
                    "apply_no": f"AP{apply_id:08d}",
                    "user_id": uid,
                    "apply_amt": 5000 + 1000 * rng.randrange(10),
                    "apply_time": reg + timedelta(days=2),
                    "work_unit": rng.choice(
                        ("深圳市某科技有限公司", "杭州某贸易有限公司", "成都某餐饮店")
                    ),
                    "month_income": 5000 + 500 * rng.randrange(20),
                    "home_addr": gen.address(rng, district),
                    "status": "approved" if status else "rejected",
                }
            )
            if status is not None:
                ids["loan"] += 1
                loan_id = 8000 + ids["loan"]
                loan_no = f"LN{loan_id:010d}"
                loan_date = (reg + timedelta(days=3)).date()
                rows["loan"].append(
                    {
                        "loan_id": loan_id,
                        "loan_no": loan_no,
                        "apply_id": apply_id,
                        "principal": 6000,
                        "loan_status": status,
                        "loan_date": loan_date,
                        "settle_date": loan_date + timedelta(days=180)
                        if status == "settled"
                        else None,
                    }
                )
                for term in range(1, 4):
                    ids["plan"] += 1
                    due = loan_date + timedelta(days=30 * term)
                    paid = status == "settled" or term == 1
                    rows["repay_plan"].append(
                        {
                            "plan_id": ids["plan"],
                            "loan_no": loan_no,
                            "term_no": term,
                            "due_amt": 2000,
                            "due_date": due,
                            "paid_at": datetime.combine(due, datetime.min.time()) if paid else None,
                        }
                    )
        rows["product"] = [
            {"product_id": 1, "product_name": "随借随还", "annual_rate": 0.18, "max_term": 12},
            {"product_id": 2, "product_name": "分期贷", "annual_rate": 0.2399, "max_term": 24},
        ]
        rows["sys_dict"] = [
            {"id": 1, "dict_key": "loan_status.outstanding", "dict_value": "未结清"},
            {"id": 2, "dict_key": "loan_status.settled", "dict_value": "已结清"},
        ]
        with engine.begin() as conn:
            for table in metadata.sorted_tables:
                if rows[table.name]:
                    conn.execute(table.insert(), rows[table.name])
    finally:
        engine.dispose()
    return Lender(url, tuple(people))


def row_counts(url: str) -> dict[str, int]:
    """Rows per table, to prove a dry run changed nothing."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, sorted: equal snapshots mean nothing was changed."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: sorted(
                    (tuple(r) for r in conn.execute(sa.select(t))), key=lambda r: repr(r)
                )
                for t in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def data_map_text(url_env: str = "LENDER_DB_URL", *, app: str = "xiaoying_kadai") -> str:
    """A correct data map of the schema (store ``core`` at ``${url_env}``).

    The user root maps no ID number (``users.sfzh`` is left out on purpose): verification
    by ID suffix must find it through the parent-linked ``user_idcard`` table (the holdout
    drill); the phone is on the root (``users.sjh``). Loans are held while
    outstanding and for ``account_data`` after ``settle_date``.
    """
    return f"""\
app: {app}
identities: [user_id]
stores:
  - id: core
    kind: sql
    url: ${{{url_env}}}
    label: 信贷核心库
datasets:
  - id: users
    label: 用户
    store: core
    table: users
    primary_key: uid
    subject: {{column: uid, identity: user_id}}
    erase: fields
    fields:
      - {{column: xm, element: name}}
      - {{column: sjh, element: mobile_number}}
      - {{column: yx, element: email}}
      - {{column: csrq, element: birth_date}}
      - {{column: xb, element: gender}}
  - id: idcard
    label: 实名认证
    store: core
    table: user_idcard
    primary_key: id
    parent: {{dataset: users, column: user_id}}
    erase: row
    fields:
      - {{column: real_name, element: name}}
      - {{column: id_no, element: id_number}}
      - {{column: id_valid_to, element: id_validity}}
  - id: applications
    label: 借款申请
    store: core
    table: apply
    primary_key: apply_id
    parent: {{dataset: users, column: user_id}}
    erase: fields  # a held loan keeps the application row it was made from
    fields:
      - {{column: work_unit, element: employer}}
      - {{column: month_income, element: monthly_income, format: integer}}
      - {{column: home_addr, element: address}}
  - id: loans
    label: 借据
    store: core
    table: loan
    primary_key: loan_id
    parent: {{dataset: applications, column: apply_id}}
    erase: row
    holds:
      - {{rule: account_data, since: settle_date, while: "loan_status = 'outstanding'"}}
    fields:
      - {{column: principal, element: transaction_records}}
  - id: repayments
    label: 还款计划
    store: core
    table: repay_plan
    primary_key: plan_id
    parent: {{dataset: loans, column: loan_no, references: loan_no}}
    erase: row
    fields:
      - {{column: due_amt, element: transaction_records}}
      - {{column: paid_at, element: transaction_records}}
  - id: contacts
    label: 紧急联系人
    store: core
    table: user_contact
    primary_key: id
    parent: {{dataset: users, column: user_id}}
    erase: row
    fields:
      - {{column: lxr_xm, element: emergency_contacts}}
      - {{column: lxr_dh, element: emergency_contacts}}
      - {{column: gx, element: emergency_contacts}}
  - id: cards
    label: 绑定银行卡
    store: core
    table: bank_card
    primary_key: card_id
    parent: {{dataset: users, column: user_id}}
    erase: row
    fields:
      - {{column: yhkh, element: bank_card}}
      - {{column: khh, element: bank_card}}
      - {{column: ylsjh, element: bank_reserved_mobile}}
  - id: credit
    label: 客户征信
    store: core
    table: cust_credit
    primary_key: id
    parent: {{dataset: users, column: cust_no, references: cust_no}}
    erase: row
    fields:
      - {{column: zx_score, element: credit_score}}
  - id: logins
    label: 登录日志
    store: core
    table: login_log
    primary_key: id
    parent: {{dataset: users, column: uid}}
    erase: row
    fields:
      - {{column: login_ip, element: ip_address}}
      - {{column: device_id, element: device_id}}
"""
