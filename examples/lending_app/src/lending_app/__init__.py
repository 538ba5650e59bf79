"""The reference lending app of issue 15: a lender's own back-end (小赢卡贷 flows).

Written the way a lender's team writes one — FastAPI routes, SQLAlchemy Core tables,
repositories — with one rule: the app holds no privacy rule of its own. Every PI read and
write goes through a repository that first asks yinsi (:mod:`lending_app.privacy`, the
only modules that import yinsi) and obeys the answer; sensitive columns are encrypted
with yinsi's field encryption and found by blind index.

``create_app()`` builds the FastAPI app from the environment (:mod:`lending_app.settings`).
"""

from lending_app.app import create_app

__all__ = ["create_app"]
