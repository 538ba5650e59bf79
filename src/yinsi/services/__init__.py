"""The service layer: one use case per method, between the entry points and the adapters.

- :mod:`~yinsi.services.root` — the composition root :class:`~yinsi.services.root.Services`:
  one database pool, the data map and its connectors, shared by every service of a process
  (CLI command, ``yinsi serve``, worker). Nothing else builds services.
- :mod:`~yinsi.services.consent` — :class:`~yinsi.services.consent.Engine` (``yinsi.Engine``):
  policy versions (:mod:`~yinsi.services.policy_books`), the consent ledger
  (:mod:`~yinsi.services.consent_ledger`) and decisions.
- :mod:`~yinsi.services.rights` — rights requests end to end
  (:mod:`~yinsi.services.rights_execution`: the step journal and the effects).
- :mod:`~yinsi.services.retention` — retention sweeps.
- :mod:`~yinsi.services.sharing` — the sharing gate, provisions and entrustment ends.
- :mod:`~yinsi.services.incidents` — security incidents and their notices.
- :mod:`~yinsi.services.sdk_gate` — the SDK manifest and permission telemetry.
- :mod:`~yinsi.services.field_keys` — rewrap, reindex and key drops after a field-key
  rotation (built from a data map read as written; it gets the audit log per call).
- :mod:`~yinsi.services.audit` — the audit chain: verify, page, record.
- :mod:`~yinsi.services.api_keys` — API keys of the service and their 1 s cache.
- :mod:`~yinsi.services.privacy_links` — entry links to the privacy center.
- :mod:`~yinsi.services.staff`, :mod:`~yinsi.services.campaigns`,
  :mod:`~yinsi.services.reports` — the staff console's use cases and read models.
- :mod:`~yinsi.services.database` — migrating yinsi's own database (``yinsi db``).
- :mod:`~yinsi.services.errors` — the errors entry points map (never imported from storage).

Nothing is imported here, so that importing one service loads only what it needs.
"""
