"""The REST API of ``yinsi serve`` (``/v1``): yinsi's services behind versioned routes.

:func:`include` adds it to a FastAPI app; :func:`yinsi.server.create_app` builds the
whole service (the REST API and the web pages). Routes parse, call one service method and
map errors (see :mod:`yinsi.api.errors`); this package never imports the web pages.
"""

from yinsi.api.routes import include

__all__ = ["include"]
