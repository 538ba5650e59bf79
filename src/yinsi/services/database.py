"""yinsi's own database as the entry points see it: where it is and its schema revision.

``yinsi db upgrade`` and ``yinsi db current`` use these before any service can run (the
composition root refuses a database that is not migrated); the storage adapter does the
work. Entry points import them from here, never from :mod:`yinsi.storage`.
"""

from yinsi.storage.migrate import current_revision, head_revision, upgrade
from yinsi.storage.url import database_url

__all__ = ["current_revision", "database_url", "head_revision", "upgrade"]
