"""One row by primary key without the ORM's query compiler, for the hottest reads.

The badge's cadre is read at every scan and every review. Compiling
`Cadre.objects.select_related("unit").filter(pk=...).first()` costs about 0.8 ms of
Python on this project's machine, several times the SELECT itself (~0.15 ms): a tenth of
a review's CPU. `by_pk` builds the same SELECT once per model and instantiates the rows
with `Model.from_db`, as the ORM does, with the related row cached as select_related
caches it.
"""

from functools import cache

from django.db import connections, router

# The largest id a bigint column holds.
MAX_PK = 2**63 - 1


@cache
def select_sql(model, related: str | None) -> str:
    """The SELECT of `by_pk`: one per model (and related field), made once per process.
    A statement builder (docs/conventions.md, "Raw SQL"): only `_meta`'s names go in."""
    quote = connections["default"].ops.quote_name
    columns = [f"m.{quote(field.column)}" for field in model._meta.concrete_fields]
    join = ""
    if related is not None:
        foreign = model._meta.get_field(related)
        target = foreign.related_model
        columns += [f"r.{quote(field.column)}" for field in target._meta.concrete_fields]
        join = (
            f" LEFT JOIN {quote(target._meta.db_table)} r"
            f" ON r.{quote(target._meta.pk.column)} = m.{quote(foreign.column)}"
        )
    return (
        f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)} m{join}"  # noqa: S608
        f" WHERE m.{quote(model._meta.pk.column)} = %s"
    )


@cache
def _selected(model, related: str | None):
    """What `select_sql` selects: (the model's attnames, the related field and its
    model's attnames, every field selected in order)."""
    fields = model._meta.concrete_fields
    foreign, related_names = None, []
    if related is not None:
        foreign = model._meta.get_field(related)
        related_names = [field.attname for field in foreign.related_model._meta.concrete_fields]
    selected = [*fields, *(foreign.related_model._meta.concrete_fields if foreign else ())]
    return [field.attname for field in fields], foreign, related_names, selected


def _converted(row, fields, connection) -> list:
    """The row's values as the ORM gives them: each field's and the backend's converters
    (a JSON column arrives as text, for one)."""
    values = list(row)
    for index, field in enumerate(fields):
        column = field.get_col(field.model._meta.db_table)
        for convert in (
            *connection.ops.get_db_converters(column),
            *field.get_db_converters(connection),
        ):
            values[index] = convert(values[index], column, connection)
    return values


def by_pk(model, pk: int, *, related: str | None = None):
    """`model`'s row `pk`, or None; with `related` (a foreign key's name) its row too,
    already loaded, as `select_related(related)` gives it. Read where the router reads
    `model`."""
    if not 0 < pk <= MAX_PK:
        return None
    names, foreign, related_names, selected = _selected(model, related)
    alias = router.db_for_read(model)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(select_sql(model, related), [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    row = _converted(row, selected, connection)
    obj = model.from_db(alias, names, row[: len(names)])
    if foreign is not None:
        values = row[len(names) :]
        target = foreign.related_model
        related_obj = None
        if values[related_names.index(target._meta.pk.attname)] is not None:
            related_obj = target.from_db(alias, related_names, values)
        foreign.set_cached_value(obj, related_obj)
    return obj
