"""The port the rights executor uses to reach the stores that hold an app's PI.

One :class:`Connector` per store of the data map. The executor only ever asks four
things: find the records of a dataset that match some values, erase records by key,
erase a subject's records by predicate (SQL: :meth:`Connector.erase_where`), correct one
value. Adapters live in :mod:`yinsi.connectors` (SQL, Redis, HTTP webhook);
tests plug in those real adapters against real services.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from yinsi.declaration.datamap import Dataset


@dataclass(frozen=True, slots=True)
class HoldFacts:
    """What a store knows about one hold of one record; the domain decides with the rule."""

    since: date | None
    """Value of the hold's ``since`` column; ``None`` = the period has not started."""
    condition: bool = False
    """The hold's ``while`` condition holds for this record (e.g. a loan is outstanding)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One row (SQL), key (Redis) or processor record (webhook) of a dataset."""

    dataset: str
    key: str
    """Primary key value (SQL, as text), the Redis key, or the processor's record id."""
    values: Mapping[str, object]
    """Declared fields by column/field name, plus the columns the walk needs
    (``provides`` identities, the parent link column)."""
    holds: Mapping[str, HoldFacts] = field(default_factory=dict)
    """Per retention rule id of ``Dataset.holds``."""


@dataclass(frozen=True, slots=True)
class EraseOutcome:
    """What one erase call did. Re-running it on the same keys must be harmless."""

    affected: int
    """Rows deleted or updated, keys deleted, or records the processor confirmed."""
    confirmation: str | None = None
    """Webhook: the processor's confirmation reference (X21)."""
    keys: frozenset[str] | None = None
    """The keys erased or changed by this call, when the store can tell (SQL): lets a
    set-based erasure of many requests' keys count each request's own records."""
    by_subject: Mapping[str, int] | None = None
    """:meth:`Connector.erase_where`: records erased per subject."""


class Connector(ABC):
    """A store of the data map (a SQL database, a Redis, a processor's webhook)."""

    @abstractmethod
    def find(self, dataset: Dataset, match: Mapping[str, Sequence[str]]) -> list[Record]:
        """Records of ``dataset`` matching ``match``.

        SQL: ``{column: values}`` — rows whose column is one of the values (the subject
        link column, or the parent link column with the parent records' keys).
        Redis and webhook: ``{identity: values}`` — the key pattern's placeholders, or
        the identities sent to the processor.
        """

    def find_keys(self, dataset: Dataset, keys: Sequence[str]) -> list[Record]:
        """The records with these keys (as :attr:`Record.key` gave them).

        The default serves SQL datasets through :meth:`find` on the primary key; stores
        whose keys are not a column (Redis, processors) override it.
        """
        if dataset.primary_key is None:
            raise NotImplementedError(f"{type(self).__name__} cannot find records by key")
        return self.find(dataset, {dataset.primary_key: list(keys)})

    @abstractmethod
    def erase(
        self,
        dataset: Dataset,
        keys: Sequence[str],
        *,
        hash_key: bytes,
        idempotency_key: str,
    ) -> EraseOutcome:
        """Erase the records with these keys as the dataset says: delete the row / key
        (``erase: row``) or apply each field's strategy (``erase: fields``).

        ``hash_key`` keys the ``keyed_hash`` strategy. ``idempotency_key`` identifies the
        step, so a processor receiving the same instruction twice acts once. Every
        implementation is idempotent: keys already erased are skipped, not an error.
        """

    @property
    def erases_where(self) -> bool:
        """Whether :meth:`erase_where` works here (SQL stores): a plan may then state an
        erasure as a predicate instead of the keys the walk read."""
        return False

    @property
    def set_size(self) -> int | None:
        """How many subjects a batch best erases here in one set-based statement (the
        batch's chunk, :mod:`yinsi.services.rights_batch`); None: no preference."""
        return None

    def erase_where(
        self,
        dataset: Dataset,
        via: Sequence[Dataset],
        subjects: Sequence[str],
        *,
        hash_key: bytes,
    ) -> EraseOutcome:
        """Erase, as the dataset says, every record of ``subjects`` without reading them
        first: a root dataset's rows whose subject column is one of ``subjects``; a
        child's rows whose parent link is in its parent's rows so matched, ``via`` being
        the parent chain up to the root (parent first, all in this store).

        Idempotent like :meth:`erase` (a second call changes nothing and counts 0). The
        outcome's ``by_subject`` gives each subject's count (SQL: from the rows' subject
        column where they have one, else one statement per subject).
        Stores that cannot match by predicate keep this default, which refuses.
        """
        raise ConnectorError(
            type(self).__name__,
            f"cannot erase dataset {dataset.id!r} by predicate; plan it by keys instead",
        )

    def find_where(
        self, dataset: Dataset, via: Sequence[Dataset], subjects: Sequence[str]
    ) -> list[Record]:
        """Every record of ``subjects`` in ``dataset``, matched by predicate as
        :meth:`erase_where` matches them (a table no key names the rows of: a log table
        with no primary key, a composite key). Their :attr:`Record.key` is only their rank
        in this answer. Stores that cannot match by predicate keep this default, which
        refuses."""
        raise ConnectorError(
            type(self).__name__, f"cannot read dataset {dataset.id!r} by predicate"
        )

    def correct_where(
        self,
        dataset: Dataset,
        via: Sequence[Dataset],
        subjects: Sequence[str],
        name: str,
        value: str,
    ) -> int:
        """Set one field in every record of ``subjects`` in ``dataset`` (matched as
        :meth:`find_where` matches them); the number of records changed."""
        raise ConnectorError(
            type(self).__name__, f"cannot correct dataset {dataset.id!r} by predicate"
        )

    @abstractmethod
    def correct(self, dataset: Dataset, key: str, name: str, value: str) -> int:
        """Set one field of one record; returns the number of records changed."""

    def refuses(self, dataset: Dataset, name: str, value: str) -> str | None:
        """Why field ``name`` of ``dataset`` cannot take ``value`` (a correction's new
        value longer than its column, or not of its type), checked before a request is
        filed; None when it can, or when the store cannot tell (the default)."""
        return None

    @property
    def groups(self) -> bool:
        """Whether :meth:`session` makes the calls inside it one store transaction."""
        return False

    @contextmanager
    def session(self) -> Iterator[None]:
        """Calls made inside share one connection and, where the store has them (SQL),
        one transaction: their effects are stored together when the block ends, or none
        of them if it raises. The default shares nothing (each call on its own)."""
        yield

    def scan(self, dataset: Dataset) -> Iterator[Record]:
        """Every record of ``dataset``, with only the values that link it to its subject.

        What a security incident traces to the subjects it affects (PIPL Art. 57): a SQL
        row's key and its subject or parent link column, a Redis key and the identities
        it names — never a PI value. Stores that cannot list their records keep this
        default, which refuses.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot list every record of a dataset")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class ConnectorError(Exception):
    """A store could not be reached or refused an operation; says which store and why."""

    def __init__(self, store: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(f"store {store!r}: {message}")
        self.store = store
        self.retryable = retryable
        """The store rolled the transaction back over a concurrent one (a serialization
        failure, a deadlock): nothing of it was kept, and running it again may succeed."""
