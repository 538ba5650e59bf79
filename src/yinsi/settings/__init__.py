"""Settings of a yinsi process, read with pydantic-settings.

One :class:`Settings` object, built once by the entry point (``yinsi serve``, a worker)
and handed to :class:`~yinsi.services.root.Services`. Values come, highest first, from
keyword arguments, the environment (``YINSI_`` prefix, ``__`` between levels:
``YINSI_DELIVERY__SMS__URL``), and a settings file (TOML or YAML) named by
``YINSI_SETTINGS_FILE`` or ``yinsi serve --settings FILE``. Every setting is documented in
``docs/operations.md``.

Each section lives in its own module (one concept, one module): :mod:`.delivery`,
:mod:`.limits`, :mod:`.inputs`, :mod:`.exports`, :mod:`.audit`, :mod:`.web`, :mod:`.operations`, :mod:`.database`, :mod:`.jobs`, :mod:`.cache`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

from yinsi.settings.audit import AuditSettings
from yinsi.settings.cache import CacheSettings
from yinsi.settings.database import DatabaseSettings
from yinsi.settings.delivery import DeliverySettings
from yinsi.settings.exports import ExportSettings
from yinsi.settings.inputs import InputSettings
from yinsi.settings.jobs import JobSettings
from yinsi.settings.limits import LimitSettings
from yinsi.settings.operations import OperationsSettings
from yinsi.settings.web import WebSettings

__all__ = ["Settings", "SettingsError", "load_settings"]


class SettingsError(ValueError):
    """Settings that cannot be used; the message names each setting and what is wrong."""


class Settings(BaseSettings):
    """Every setting of a yinsi process (see the module docstring for the sources)."""

    model_config = SettingsConfigDict(
        env_prefix="YINSI_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )
    settings_file: ClassVar[Path | None] = None

    demo: bool = False
    """Demo mode: the logging SMS sender (which never logs a code), cookies without
    ``Secure`` (plain HTTP on localhost). Never in production."""
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    inputs: InputSettings = Field(default_factory=InputSettings)
    exports: ExportSettings = Field(default_factory=ExportSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    operations: OperationsSettings = Field(default_factory=OperationsSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = cls.settings_file
        if path is not None:
            if path.suffix.lower() == ".toml":
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
            else:
                sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=path))
        return tuple(sources)


def load_settings(
    file: str | Path | None = None,
    **values: Any,
) -> Settings:
    """The settings from ``values``, the environment (``YINSI_…``) and ``file`` (else
    ``YINSI_SETTINGS_FILE``); raises :class:`SettingsError` naming every bad setting."""
    name = file if file is not None else os.environ.get("YINSI_SETTINGS_FILE")
    path = Path(name) if name else None
    if path is not None and not path.is_file():
        raise SettingsError(
            f"settings file {path} does not exist (YINSI_SETTINGS_FILE / --settings)"
        )

    class _Loaded(Settings):
        settings_file: ClassVar[Path | None] = path

    try:
        loaded = _Loaded(**values)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            variable = "YINSI_" + "__".join(str(p).upper() for p in error["loc"])
            lines.append(f"{where} ({variable}): {error['msg']}")
        source = f" in {path}" if path is not None else ""
        raise SettingsError(f"invalid settings{source}:\n  " + "\n  ".join(lines)) from None
    return Settings.model_validate(loaded.model_dump())
