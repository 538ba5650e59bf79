"""Store URLs: ``${VAR}`` expansion and the password-free display form."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yinsi.connectors import display_url, expand
from yinsi.rights.ports import ConnectorError


def test_expand_replaces_every_variable() -> None:
    env = {"DB_USER": "reader", "DB_PASS": "pw", "DB_HOST": "10.0.0.5"}
    url = "postgresql://${DB_USER}:${DB_PASS}@${DB_HOST}:5432/lending"
    assert expand("core", url, env) == "postgresql://reader:pw@10.0.0.5:5432/lending"
    assert expand("core", "no variables, $HOME stays", env) == "no variables, $HOME stays"


def test_expand_names_the_missing_variable_and_the_store() -> None:
    with pytest.raises(ConnectorError) as caught:
        expand("core", "${DB_URL}", {})
    assert str(caught.value).startswith(
        "store 'core': environment variable DB_URL is not set; export it"
    )
    assert caught.value.store == "core"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://u:secret@db:5432/app", "postgresql+psycopg://u:***@db:5432/app"),
        ("mysql+pymysql://root@127.0.0.1:3306/app", "mysql+pymysql://root@127.0.0.1:3306/app"),
        ("sqlite:////var/lib/app.db", "sqlite:////var/lib/app.db"),
        ("redis://:secret@cache:6379/2", "redis://:***@cache:6379/2"),
        (
            "https://hooks.example.com/yinsi?token=abc&v=1",
            "https://hooks.example.com/yinsi?token=***&v=***",
        ),
        ("http://[::1]:8080/hook", "http://[::1]:8080/hook"),
    ],
)
def test_display_url_hides_passwords_and_query_values(url: str, shown: str) -> None:
    assert display_url(url) == shown


@given(
    scheme=st.sampled_from(["postgresql+psycopg", "mysql+pymysql", "redis", "https"]),
    password=st.text(min_size=1, max_size=20).map(lambda s: "PW" + s),
)
def test_display_url_never_shows_the_password(scheme: str, password: str) -> None:
    url = f"{scheme}://user:{quote(password, safe='')}@host:1234/db"
    shown = display_url(url)
    assert password not in shown
    assert quote(password, safe="") not in shown
    assert shown.startswith(f"{scheme}://user:***@host:1234")
