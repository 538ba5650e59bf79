"""Chinese PI detectors: find PI in free text and classify sampled column values.

:func:`detect` scans a text and returns every :class:`Finding` (kind, taxonomy element,
exact span, confidence); :func:`classify_values` says which element a column's sampled
values look like, with evidence that never contains a value. Pure domain code: the
dictionaries it needs ship in ``data/`` and nothing is downloaded.
"""

from __future__ import annotations

from yinsi.taxonomy.detectors.devices import DEVICE_KINDS
from yinsi.taxonomy.detectors.finding import KINDS, Finding
from yinsi.taxonomy.detectors.scanner import detect
from yinsi.taxonomy.detectors.values import LABELS, classify_values

__all__ = ["DEVICE_KINDS", "KINDS", "LABELS", "Finding", "classify_values", "detect"]
