"""A median aggregate for the database: PostgreSQL's ``percentile_cont(0.5)``, and a function of the same name
registered on every SQLite connection (the embedded default has no median of its own).

It lets a grouped query return each group's median without sending every row to Python: through the ORM
(``Median``) or in SQL written by hand (``median_sql``).
"""

import statistics

from django.db.models import Aggregate, FloatField

SQLITE_FUNCTION = "hyoka_median"
POSTGRESQL_TEMPLATE = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def median_sql(connection, expression):
    """The SQL for the median of ``expression`` (a column or expression in SQL) on this connection's database."""
    if connection.vendor == "sqlite":
        return f"{SQLITE_FUNCTION}({expression})"
    return POSTGRESQL_TEMPLATE % {"expressions": expression}


class Median(Aggregate):
    """The median of the non-null values: the mean of the two middle ones for an even count (as
    ``statistics.median``); null for none."""

    name = "Median"
    function = "percentile_cont"
    template = POSTGRESQL_TEMPLATE
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function=SQLITE_FUNCTION, template="%(function)s(%(expressions)s)",
                              **extra_context)


class _SqliteMedian:
    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return float(statistics.median(self.values)) if self.values else None


def register_on_sqlite(sender, connection, **kwargs):
    """``connection_created`` receiver: give SQLite connections the median function."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_FUNCTION, 1, _SqliteMedian)
