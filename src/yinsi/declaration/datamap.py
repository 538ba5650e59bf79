"""The data map: where each PI element of an app really lives (issue 5).

A data map is a YAML file beside the declaration. It names the stores (SQL databases,
Redis, processors reached by HTTP webhook) and, per dataset (a table, a Redis key pattern,
a processor), the columns that hold which declared element, how each is erased, and how
the dataset hangs off the subject: directly by an identity (``subject``), or through a
foreign key to a parent dataset (``parent``), like ``users`` → ``loans`` → ``repayments``.
The rights executor walks that graph from a subject's identities. A processor's dataset
names the declared ``recipient`` it stands for, so ending that recipient's entrustment
knows where to send the deletion instruction.

Connection strings are never written in clear: ``url: ${LENDING_DB_URL}`` names an
environment variable that the adapter expands when it connects.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, StringConstraints, model_validator

from yinsi.declaration.schema import Id, Model, Text
from yinsi.taxonomy import RightKind
from yinsi.taxonomy.formats import Format


class Strategy(StrEnum):
    """How one value (or one row) is erased or de-identified; every strategy is
    idempotent. The value transforms are :func:`yinsi.lifecycle.deidentify.apply`."""

    DELETE = "delete"
    """Row-level: the connector deletes the row / Redis key / hash field (a SQL column
    cannot be deleted from a row: it is nulled)."""
    NULL = "null"
    """The value becomes ``None``."""
    MASK = "mask"
    """Display masking, format-keeping (``138****1234``): see :mod:`yinsi.security.masking`."""
    KEYED_HASH = "keyed_hash"
    """``h1:`` + 32 hex digits of HMAC-SHA256 under the caller's key: a pseudonym (去标识化)."""
    GENERALISE = "generalise"
    """A coarser value: birth date → year, age → 10-year band, address → province."""
    ANONYMISE = "anonymise"
    """``已匿名`` for text, ``None`` for anything else (匿名化, PIPL Art. 73 (4))."""


EMPTYING = frozenset({Strategy.DELETE, Strategy.NULL})
"""Strategies that leave a field empty (``None``), rewriting nothing: one ``UPDATE … SET
c = NULL`` does them, a row emptied so is told by its ``NULL``s, a document is erased whole."""


EnvOrText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    Field(description="A literal value or ${ENV_VAR}, expanded when connecting."),
]

COLUMN_NAME = r"^[^\x00-\x1f\x7f`\"\\\s]([^\x00-\x1f\x7f`\"\\]*[^\x00-\x1f\x7f`\"\\\s])?$"
"""A table or column name as the database spells it: any characters (``用户ID``,
``客户信息``, ``mobileNo``) but control characters, quotes, backslashes and blanks at either
end. Statements quote every name (SQLAlchemy), so no name can change a statement."""
Column = Annotated[str, StringConstraints(pattern=COLUMN_NAME, max_length=64)]
Identity = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64),
    Field(description="A subject identity: user_id (the subject id), phone_hash, …"),
]


class Store(Model):
    id: Id
    kind: Literal["sql", "redis", "webhook"]
    url: EnvOrText
    secret: EnvOrText | None = Field(
        None, description="Webhook only: the HMAC-SHA256 key that signs requests."
    )
    label: str = ""

    @model_validator(mode="after")
    def _secret_for_webhooks(self) -> Store:
        if self.kind == "webhook" and self.secret is None:
            raise ValueError("a webhook store needs `secret` (the key that signs requests)")
        if self.kind != "webhook" and self.secret is not None:
            raise ValueError("`secret` is for webhook stores only")
        return self


class BlindIndexRef(Model):
    """The column holding the keyed blind index of an encrypted column's value, so rows
    can be found by phone or ID number (:mod:`yinsi.security.blind_index`)."""

    column: Column
    kind: Literal["phone", "id_number"] = Field(
        description="How the value is normalised before indexing (its IndexKind)."
    )


class MappedField(Model):
    """One column (SQL) or hash field (Redis) holding a declared element."""

    column: Column | None = None
    field: str | None = Field(None, description="Redis hash field.")
    element: Id
    erase: Strategy = Strategy.NULL
    format: Format | None = Field(
        None,
        description="The column's value format, for corrections when the element's own does "
        "not tell it (a contact's phone: phone_cn); `json`: a JSON document holding the "
        "element among other keys, which a correction never writes (a person corrects it).",
    )
    encrypted: bool = Field(
        False,
        description="SQL only: the column holds FieldCipher tokens (yv1.<kid>.…) that "
        "`yinsi keys rewrap` moves to the active key (X09, X25, W17).",
    )
    context: str | None = Field(
        None,
        min_length=1,
        description="Encrypted columns: the FieldCipher context the app encrypts this "
        "column's values with (default `<table>.<column>`); needed to recompute blind indexes.",
    )
    blind_index: BlindIndexRef | None = Field(
        None,
        description="Encrypted columns: the column with the value's blind index, recomputed "
        "by `yinsi keys reindex` after the blind-index key is rotated.",
    )

    @property
    def name(self) -> str:
        return self.column or self.field or ""

    @model_validator(mode="after")
    def _one_place(self) -> MappedField:
        if (self.column is None) == (self.field is None):
            raise ValueError("give exactly one of `column` (SQL) or `field` (Redis hash)")
        return self

    @model_validator(mode="after")
    def _documents_emptied_whole(self) -> MappedField:
        if self.format is Format.JSON and self.erase not in EMPTYING:
            raise ValueError(
                f"`erase: {self.erase.value}` rewrites a value, but a `format: json` column "
                "holds a whole document: erase it with `null` (or `delete`)"
            )
        return self

    @model_validator(mode="after")
    def _encrypted_columns_only(self) -> MappedField:
        if self.encrypted and self.column is None:
            raise ValueError(
                "`encrypted: true` is for SQL columns: `yinsi keys rewrap` cannot rewrap a "
                "Redis hash field; remove it here"
            )
        if not self.encrypted and (self.blind_index is not None or self.context is not None):
            raise ValueError(
                "`blind_index` and `context` are for encrypted columns: the index is "
                "recomputed from the decrypted value; add `encrypted: true` or remove them"
            )
        if self.blind_index is not None and self.blind_index.column == self.column:
            raise ValueError("the blind index needs its own column, not the encrypted one")
        return self


class SubjectLink(Model):
    """How rows of a root dataset are found: ``column`` equals one of the subject's identities."""

    column: Column
    identity: Identity = "user_id"


class ParentLink(Model):
    """A foreign key: ``column`` of this dataset holds the parent's primary key (or ``references``)."""

    dataset: Id
    column: Column
    references: Column | None = Field(None, description="Parent column; default its primary key.")


class Hold(Model):
    """Rows kept despite erasure while a retention rule with a legal minimum still runs."""

    rule: Id = Field(description="A retention rule of the declaration (its `minimum` or `period`).")
    since: Column | None = Field(
        None,
        description="Column with the date the period counts from (e.g. settled_at); "
        "empty value = the relationship has not ended, so the row is held.",
    )
    while_: Annotated[
        str | None,
        Field(
            None,
            alias="while",
            description="SQL condition under which a row is always held (e.g. status = 'outstanding').",
        ),
    ] = None
    kind: Literal["contract", "legal_retention"] | None = Field(
        None,
        description="Why a row meeting `while` (or with an empty `since`) is kept: "
        "`contract` (the default: the relationship runs, processing continues, deletion is "
        "deferred until it ends) or `legal_retention` (store only, restricted, e.g. a "
        "disputed loan). A row whose period after `since` runs is always legal_retention.",
    )


class RetentionRef(Model):
    """Rows expire ``rule``'s period after the date in column ``since`` (X38, W13); the
    retention sweeper then deletes them (``erase: row``) or erases their fields. An empty
    ``since`` means the period has not started: the row never expires."""

    rule: Id = Field(description="A retention rule of the declaration that has a `period`.")
    since: Column = Field(description="Date or timestamp column the period counts from.")


class Dataset(Model):
    id: Id
    label: Text
    store: Id
    table: Column | None = Field(None, description="SQL table.")
    key: str | None = Field(
        None, description="Redis key pattern with {identity} placeholders, e.g. session:{user_id}."
    )
    primary_key: Column | None = Field(
        None,
        description="SQL: the column naming each row (the primary key or a unique column). "
        "Without one (a log table with no key, a composite key) the rows are read, corrected "
        "and erased by a predicate on the person, never one by one (see `keyless`).",
    )
    subject: SubjectLink | None = None
    parent: ParentLink | None = None
    provides: dict[Identity, Column] = Field(
        default_factory=dict,
        description="Identities read from this dataset's columns, e.g. {phone_hash: phone_hash}.",
    )
    erase: Literal["row", "fields"] = "fields"
    fields: list[MappedField] = Field(default_factory=list)
    elements: list[Id] = Field(
        default_factory=list, description="Webhook: the elements the processor holds."
    )
    recipient: Id | None = Field(
        None,
        description="Webhook: the declared recipient (e.g. an entrusted processor) that holds "
        "this dataset; ending its entrustment sends the deletion instruction here (X21).",
    )
    holds: list[Hold] = Field(default_factory=list)
    retention: RetentionRef | None = Field(
        None, description="SQL only: when rows expire, e.g. {rule: browse_only, since: seen_at}."
    )

    @model_validator(mode="after")
    def _shape(self) -> Dataset:
        if (self.subject is None) == (self.parent is None) and self.table is not None:
            raise ValueError("a SQL dataset needs exactly one of `subject` or `parent`")
        if self.table is not None and self.key is not None:
            raise ValueError("give `table` (SQL) or `key` (Redis), not both")
        if self.key is not None:
            missing = set(_PLACEHOLDER.findall(self.key))
            if not missing:
                raise ValueError(
                    "a Redis key pattern must name an identity, e.g. session:{user_id}"
                )
        return self

    @property
    def keyless(self) -> bool:
        """A SQL table without ``primary_key``: yinsi names none of its rows, so it reads,
        corrects and erases the person's rows by a predicate on the subject (``WHERE
        user_id = …``, or through the parent chain), and nothing may keep some of its rows
        while others go (:func:`yinsi.declaration.datamap_shapes.keyless_shape`)."""
        return self.table is not None and self.primary_key is None

    @property
    def erases_nothing(self) -> bool:
        """``erase: fields`` listing no field: an erasure leaves its records as they are."""
        return self.erase == "fields" and not self.fields

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(_PLACEHOLDER.findall(self.key or ""))


_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class PreconditionDef(Model):
    """Refuse requests of ``kind`` while a record of ``dataset`` meets the ``while``
    condition of its hold on ``rule`` — e.g. no account cancellation while a loan is
    outstanding (W16). ``text`` is what the user is told."""

    id: Id
    kind: RightKind
    dataset: Id
    rule: Id
    text: Text


class DataMap(Model):
    """Where an app's PI lives. One file per app, keyed by the declaration's app id."""

    app: Id
    stores: list[Store] = Field(min_length=1)
    datasets: list[Dataset] = Field(min_length=1)
    identities: list[Identity] = Field(
        default_factory=lambda: ["user_id"],
        description="Identities of a subject. user_id is yinsi's subject id.",
    )
    preconditions: list[PreconditionDef] = Field(default_factory=list)
    _walk: tuple[int, tuple[Dataset, ...]] | None = PrivateAttr(default=None)
    """:func:`walk_order` once computed, with the id of the dataset list it was computed on
    (a copy with other datasets computes its own)."""

    def store(self, store_id: str) -> Store:
        return next(s for s in self.stores if s.id == store_id)

    def dataset(self, dataset_id: str) -> Dataset:
        return next(d for d in self.datasets if d.id == dataset_id)


class DataMapCycle(ValueError):
    """Datasets depend on each other in a circle; no walk order exists."""


def walk_order(data_map: DataMap) -> list[Dataset]:
    """Datasets in the order the executor reads them: a dataset after its parent and
    after every dataset that provides an identity it is found by.

    Deletion runs the reverse order (children first), so no foreign key is left dangling.
    Raises :class:`DataMapCycle` naming the datasets in a cycle. Computed once per data map
    (every rights run asks for it several times).
    """
    cached = data_map._walk
    if cached is None or cached[0] != id(data_map.datasets):
        cached = data_map._walk = (id(data_map.datasets), tuple(_walk_order(data_map)))
    return list(cached[1])


def _walk_order(data_map: DataMap) -> list[Dataset]:
    providers: dict[str, list[str]] = {}
    for ds in data_map.datasets:
        for identity in ds.provides:
            providers.setdefault(identity, []).append(ds.id)
    needs: dict[str, set[str]] = {}
    known = {ds.id for ds in data_map.datasets}
    for ds in data_map.datasets:
        deps: set[str] = set()
        if ds.parent is not None:
            deps.add(ds.parent.dataset)
        found_by = {ds.subject.identity} if ds.subject is not None else set(ds.placeholders)
        for identity in found_by - {"user_id"}:
            deps.update(p for p in providers.get(identity, []) if p != ds.id)
        needs[ds.id] = deps & known
    order: list[Dataset] = []
    done: set[str] = set()
    pending = [ds.id for ds in data_map.datasets]
    while pending:
        ready = [d for d in pending if needs[d] <= done]
        if not ready:
            raise DataMapCycle(
                "datasets depend on each other in a cycle: " + ", ".join(sorted(pending))
            )
        for d in ready:
            order.append(data_map.dataset(d))
            done.add(d)
        pending = [d for d in pending if d not in done]
    return order
