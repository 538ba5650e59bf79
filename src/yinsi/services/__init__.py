"""The service layer: one use case per method, between the entry points and the adapters.

- :mod:`yinsi.services.root` — the composition root: one database pool, the data map and
  its connectors, shared by every service of a process (CLI command, API server, worker).
- :mod:`yinsi.services.consent` — :class:`~yinsi.services.consent.Engine`: policy
  versions, the consent ledger and decisions (``yinsi.Engine``).
- :mod:`yinsi.services.rights` — rights requests end to end.
- :mod:`yinsi.services.retention` — retention sweeps.
- :mod:`yinsi.services.sharing` — the sharing gate and entrustment ends.
- :mod:`yinsi.services.incidents` — security incidents and their notices.
- :mod:`yinsi.services.sdk_gate` — the SDK manifest and permission telemetry.

Nothing is imported here, so that importing one service loads only what it needs.
"""
