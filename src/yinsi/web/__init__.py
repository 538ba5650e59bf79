"""Web pages: the privacy center for users (``/privacy``) and the console for staff (``/console``).

Server-rendered with Jinja2; htmx (vendored under ``static/``, no CDN) only improves pages
that already work as plain forms. :func:`mount` adds both sites to the service's FastAPI app.
"""

from yinsi.web.app import mount
from yinsi.web.site import Site

__all__ = ["Site", "mount"]
