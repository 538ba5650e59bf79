"""`make demo` adds three staff logins; their passwords must pass yinsi's own policy, or the
demo stops at step 6 (it did once: the policy arrived after the passwords)."""

from __future__ import annotations

import re
from pathlib import Path

from yinsi.security.passwords import check_strength

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"
README = MAKEFILE.parent / "README.md"


def _demo_password(role: str) -> str:
    text = MAKEFILE.read_text(encoding="utf-8")
    (template,) = set(
        re.findall(r'echo "(yinsi-demo-pass-)\$\$\(printf %s \$\$role \| cut -c1-2\)"', text)
    )
    return template + role[:2]


def test_the_demo_staff_passwords_pass_the_password_policy() -> None:
    for role in ("admin", "operator", "auditor"):
        check_strength(_demo_password(role), role)  # raises WeakPassword


def test_the_readme_prints_the_passwords_the_makefile_sets() -> None:
    readme = README.read_text(encoding="utf-8")
    for role in ("admin", "operator", "auditor"):
        assert f"`{role}` / `{_demo_password(role)}`" in readme
