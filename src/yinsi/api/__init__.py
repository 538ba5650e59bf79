"""The HTTP service (``yinsi serve``): the :class:`~yinsi.Engine` behind a versioned REST API.

``create_app(engine, units)`` is the composition root; routes parse, call one method,
and map errors (see :mod:`yinsi.api.errors`).
"""

from yinsi.api.app import UnitsOfWork, create_app

__all__ = ["UnitsOfWork", "create_app"]
