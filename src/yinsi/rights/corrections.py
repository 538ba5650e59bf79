"""Which columns a correction writes (X27): in each dataset holding the element, the
column the new value is for.

A dataset may hold one element in several columns: a user's phone and the app's hash of
it (``phone_hash``), an emergency contact's name and phone. One value is not right for
all of them — the raw number written into the hash column breaks every lookup by hash
and keeps the number in clear where the app meant a hash. So a column takes the value
only when the value fits its format (the field's ``format``, else the element's); when
several columns of a dataset fit, the one whose ``format`` the data map states takes it
(the hash column states none); when that does not single one out, the request is
refused before anything is written, naming the columns, so a person corrects them or the
data map gives the value's column its ``format``. A dataset holding the element inside a
JSON document (``format: json``: a ``profile`` column with an ``address`` key among
others) is refused the same way: yinsi does not rewrite documents, and writing the other
columns alone would leave the old value in the document.
"""

from __future__ import annotations

from collections.abc import Mapping

from yinsi.declaration.datamap import DataMap, Dataset, MappedField
from yinsi.rights.ports import Connector, ConnectorError
from yinsi.rights.requests import InvalidRequest
from yinsi.taxonomy.formats import Format, InvalidValue, format_of, validate

__all__ = [
    "AmbiguousColumns",
    "InDocument",
    "ManualCorrection",
    "check_corrections",
    "check_stores",
    "columns_for",
    "fits",
    "format_for",
]


class ManualCorrection(InvalidRequest):
    """yinsi cannot tell how to write the new value: a person corrects it."""

    person_text = "该项个人信息需由工作人员核实后更正，请通过客服渠道办理。"
    """What the person filing the request reads."""


class AmbiguousColumns(ManualCorrection):
    """A dataset holds the element in several columns the value fits, and the data map
    does not say which one it is for."""


class InDocument(ManualCorrection):
    """A dataset holds the element inside a JSON document (``format: json``)."""


def format_for(field: MappedField) -> Format:
    """The format of ``field``'s values: its ``format``, else its element's."""
    return Format(field.format) if field.format else format_of(field.element)


def fits(field: MappedField, value: str) -> bool:
    """Whether ``value`` fits the format of ``field`` (:func:`format_for`)."""
    try:
        validate(format_for(field), value)
    except InvalidValue:
        return False
    return True


def columns_for(dataset: Dataset, element: str, value: str) -> list[MappedField]:
    """The fields of ``dataset`` a correction of ``element`` to ``value`` writes (maybe
    none); raises :class:`ManualCorrection` when it cannot tell which (module docstring)."""
    documents = [f.name for f in dataset.fields if f.element == element and f.format is Format.JSON]
    if documents:
        raise InDocument(
            f"{element}: dataset {dataset.id!r} holds it inside the JSON document in column "
            f"{', '.join(documents)}, which yinsi does not rewrite; a person corrects it "
            "(customer service)"
        )
    taking = [f for f in dataset.fields if f.element == element and fits(f, value)]
    if len(taking) <= 1:
        return taking
    stated = [f for f in taking if f.format]
    if len(stated) == 1:
        return stated
    raise AmbiguousColumns(
        f"{element}: dataset {dataset.id!r} holds it in columns "
        f"{', '.join(f.name for f in taking)}, and the new value fits each of them, so which "
        "one it corrects cannot be told; a person corrects it (customer service), or the "
        "data map states the `format` of the column the value is for (e.g. phone_cn)"
    )


def check_corrections(data_map: DataMap, corrections: Mapping[str, str]) -> None:
    """Each element must be held somewhere, each value fit the format of a column holding
    it, and each dataset holding it tell which column the value is for (X27)."""
    held = [(ds, f) for ds in data_map.datasets for f in ds.fields]
    for element, value in corrections.items():
        columns = [f for _, f in held if f.element == element]
        if not columns:
            raise InvalidRequest(
                f"no dataset holds {element!r}; elements that can be corrected: "
                + ", ".join(sorted({f.element for _, f in held}))
            )
        for ds in data_map.datasets:  # a document: refused whatever the value
            if any(f.element == element and f.format is Format.JSON for f in ds.fields):
                columns_for(ds, element, value)
        if not any(fits(f, value) for f in columns):
            try:
                validate(format_for(columns[0]), value)
            except InvalidValue as exc:
                raise InvalidRequest(f"{element}: {exc}") from exc
            raise InvalidRequest(f"{element}: the value fits no column holding it")
        for ds in data_map.datasets:
            columns_for(ds, element, value)


def check_stores(
    data_map: DataMap, connectors: Mapping[str, Connector], corrections: Mapping[str, str]
) -> None:
    """Each column a correction writes can take its new value, as its store tells
    (:meth:`Connector.refuses`: longer than the column, not of its type), so such a
    request is refused when filed rather than failing its write after approval. A store
    that cannot be reached is not asked: the write itself checks again."""
    for element, value in corrections.items():
        for ds in data_map.datasets:
            connector = connectors.get(ds.store)
            if connector is None:
                continue
            for f in columns_for(ds, element, value):
                try:
                    why = connector.refuses(ds, f.name, value.strip())
                except ConnectorError:
                    continue
                if why is not None:
                    shown = InvalidValue(
                        format_for(f), "", "超出该项信息可保存的长度或格式，请检查后重试", "column"
                    )
                    raise InvalidRequest(f"{element}: {why}") from shown
