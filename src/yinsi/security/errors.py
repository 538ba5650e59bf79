"""Every error the security package raises; each message says what is wrong and what to do.

::

    SecurityError
    └── AuditRecordRejected    an audit entry that would hold personal information in
                               clear, non-JSON details, or a time without a timezone
                               (also a ValueError)
"""

from __future__ import annotations


class SecurityError(Exception):
    """Base of every security error."""


class AuditRecordRejected(SecurityError, ValueError):
    def __init__(self, where: str, problem: str, fix: str) -> None:
        super().__init__(f"audit entry {where}: {problem}; {fix}")
        self.where = where
