"""The data providers this app queries (X18), as the platform team registers them in yinsi.

Before the app may obtain PI from a provider, someone vets it (来源审查: its licence, what
it may supply, the authorisation it relies on) and records the vetting in yinsi's source
register; :class:`lending_app.repository_device.ThirdPartyData` names each provider by
these ids and yinsi refuses a provider that is not registered, revoked or expired::

    python -m lending_app.vetted_sources [--url YINSI_DATABASE_URL]

runs ``yinsi sources add`` for each (``make demo`` does, for the app's own yinsi). The
licence numbers are made up, like everything else in the reference app.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

APP = "xiaoying_kadai"
VALID_UNTIL = "2099-12-31"

SOURCES: tuple[tuple[str, ...], ...] = (
    (
        "pbc_credit_reference",
        "--name", "中国人民银行征信中心",
        "--legal-ground", "《征信业管理条例》：金融信用信息基础数据库的运行机构（样例）",
        "--element", "credit_report",
        "--scenario", "third_party_sources",
        "--authorised-by", "us",
        "--authorisation-ref", "单独同意 third_party_data（查询个人信用报告的书面授权）",
    ),
    (
        "baihang_credit",
        "--name", "百行征信有限公司",
        "--legal-ground", "个人征信业务经营许可（样例编号 0001）",
        "--element", "third_party_query_results",
        "--scenario", "third_party_sources",
        "--authorised-by", "us",
        "--authorisation-ref", "单独同意 third_party_data",
    ),
    (
        "clearing_institution",
        "--name", "转接清算交易机构",
        "--party", "clearing_institution",
        "--legal-ground", "银行卡清算业务许可（样例编号 0002）",
        "--element", "transaction_behaviour_tags",
        "--scenario", "transaction_tags",
        "--authorised-by", "us",
        "--authorisation-ref", "单独同意 clearing_tags",
    ),
)  # fmt: skip
"""The ``yinsi sources add APP …`` arguments of each provider (without the vetting's
author and validity, added by :func:`arguments`)."""


def arguments(vetted_by: str = "平台合规部") -> list[list[str]]:
    """The full ``yinsi`` argument lists, one per provider."""
    tail = ["--vetted-by", vetted_by, "--valid-until", VALID_UNTIL]
    return [["sources", "add", APP, *source, *tail] for source in SOURCES]


def main(argv: list[str]) -> int:
    beside = Path(sys.executable).with_name("yinsi")  # the same virtualenv's command
    yinsi = str(beside) if beside.exists() else shutil.which("yinsi") or "yinsi"
    for args in arguments():
        done = subprocess.run([yinsi, *args, *argv], check=False)
        if done.returncode:
            return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
