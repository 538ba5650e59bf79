"""The app's HTTP API for the device flows (issue 15); mounted by :func:`lending_app.create_app`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api")
