"""The app's tables for the wolai flows, on :data:`lending_app.schema.metadata`."""

from __future__ import annotations

from lending_app.schema import metadata

__all__ = ["metadata"]
