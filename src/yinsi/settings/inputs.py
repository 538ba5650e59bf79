"""Settings: inputs (a section of :class:`yinsi.settings.Settings`).

The limits yinsi holds hostile input to. The YAML limits apply to declarations and data
maps (``yinsi validate|render|diff|lint``, ``POST /v1/policies``, the console); the body
limit to every HTTP request. The defaults equal the constants of
:mod:`yinsi.declaration.yaml_limits` and :mod:`yinsi.api.limits` (a test keeps them
alike; this package imports nothing else from yinsi).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class InputSettings(BaseModel):
    """The ``inputs`` section (``YINSI_INPUTS__…``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: int = Field(5_000_000, ge=1_000)
    """A request body over this many bytes is answered 413 (streamed bodies are counted)."""
    yaml_max_bytes: int = Field(2_000_000, ge=1_000)
    """A YAML file or text over this many bytes (UTF-8) is refused before it is read."""
    yaml_max_nodes: int = Field(100_000, ge=100)
    """YAML nodes (scalars, lists, mappings) after expanding every alias."""
    yaml_max_depth: int = Field(64, ge=8, le=1_000)
    """Lists and mappings nested deeper than this are refused."""
    yaml_max_aliases: int = Field(1_000, ge=0)
    """Aliases (``*name``) in one YAML document."""
    yaml_max_expanded_chars: int = Field(8_000_000, ge=1_000)
    """Characters of all scalars after expanding aliases."""
