"""The tables of a release and how each is written: Parquet, JSON Lines and CSV at once, chunk by chunk.

A table is described by a TableSpec (column names, Arrow types and a description for the
dataset card), its columns written as a small text table (``columns``). A TableWriter takes
rows (tuples in the spec's column order) a chunk at a time and appends them to the three
files, so memory holds one chunk whatever the size of the table; each chunk becomes one
Parquet row group. Files are hashed as they are written.

List columns are JSON arrays in JSON Lines, lists in Parquet and JSON text in CSV (CSV
has no lists); a missing value is null in JSON Lines and Parquet and an empty field in CSV.
"""

import json
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from exports.checksums import HashingFile, WrittenFile

DATA_FOLDER = "data"
JSON_LINES_AT_ONCE = 20_000  # rows of a chunk whose JSON lines are joined and written together
TABLE_FORMATS = ("parquet", "jsonl", "csv")
# The column types of the tables, by the names ``columns`` reads.
TYPES = {"string": pa.string(), "bool": pa.bool_(), "int16": pa.int16(), "int32": pa.int32(), "int64": pa.int64(),
         "double": pa.float64(),
         "string[]": pa.list_(pa.string()), "int16[]": pa.list_(pa.int16())}


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str

    @property
    def is_list(self):
        return pa.types.is_list(self.type)


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def names(self):
        return [column.name for column in self.columns]

    @property
    def schema(self):
        return pa.schema([(column.name, column.type) for column in self.columns])

    @property
    def csv_schema(self):
        return pa.schema([(column.name, pa.string() if column.is_list else column.type) for column in self.columns])

    def path(self, fmt):
        return f"{DATA_FOLDER}/{self.name}.{fmt}"


def columns(text):
    """Columns written as a text table: a line per column, ``name type description`` (a type of TYPES), the
    description going on over the lines below it that are indented further."""
    found = []
    for line in textwrap.dedent(text).strip("\n").splitlines():
        if line[:1].isspace():
            found[-1] = replace(found[-1], description=f"{found[-1].description} {line.strip()}")
        else:
            name, type_name, description = line.split(None, 2)
            found.append(Column(name, TYPES[type_name], description))
    return tuple(found)


class TableWriter:
    """Appends chunks of rows of one table to its Parquet, JSON Lines and CSV files.

    Use as a context manager or call close(); ``files`` then lists what was written.
    """

    def __init__(self, folder, spec):
        self.spec = spec
        self.rows = 0
        self.files = []
        (Path(folder) / DATA_FOLDER).mkdir(parents=True, exist_ok=True)
        self._handles = {fmt: HashingFile(Path(folder) / spec.path(fmt)) for fmt in TABLE_FORMATS}
        self._parquet = pq.ParquetWriter(self._handles["parquet"], spec.schema, compression="zstd")
        self._csv = pa_csv.CSVWriter(self._handles["csv"], spec.csv_schema)
        self._json = [JsonColumn(column.type) for column in spec.columns]
        keys = [json.dumps(name, ensure_ascii=False).replace("%", "%%") for name in spec.names]
        self._line = "{" + ",".join(f"{key}:%s" for key in keys) + "}\n"

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def write(self, rows):
        """Append ``rows``, a list of tuples in the spec's column order."""
        if rows:
            self.write_columns(list(zip(*rows)))

    def write_columns(self, columns):
        """Append rows given by column: a list of values per column, in the spec's column order, all as long (a
        table whose values come by column, as from arrays, is spared turning them into rows and back)."""
        count = len(columns[0]) if columns else 0
        if not count:
            return
        arrays = [pa.array(values, type=column.type) for values, column in zip(columns, self.spec.columns)]
        self._parquet.write_table(pa.Table.from_arrays(arrays, schema=self.spec.schema))
        texts = [encoder.encode(values) for encoder, values in zip(self._json, columns)]
        for index, column in enumerate(self.spec.columns):
            if column.is_list:
                arrays[index] = pa.array([None if text == "null" else text for text in texts[index]], pa.string())
        self._csv.write_table(pa.Table.from_arrays(arrays, schema=self.spec.csv_schema))
        self._write_lines(texts, count)
        self.rows += count

    def _write_lines(self, texts, count):
        """The JSON lines of a chunk, JSON_LINES_AT_ONCE rows at a time: a chunk's lines joined at once take
        three copies of its JSON text (the lines, the joined text, its bytes)."""
        line, handle = self._line, self._handles["jsonl"]
        for start in range(0, count, JSON_LINES_AT_ONCE):
            piece = [text[start:start + JSON_LINES_AT_ONCE] for text in texts] if count > JSON_LINES_AT_ONCE else texts
            handle.write("".join([line % values for values in zip(*piece)]).encode())

    def close(self):
        if self.files:
            return self.files
        self._parquet.close()
        self._csv.close()
        for fmt, handle in self._handles.items():
            handle.close()
            self.files.append(WrittenFile(self.spec.path(fmt), handle.size, handle.hexdigest, fmt,
                                          self.spec.name, self.rows))
        return self.files


class JsonColumn:
    """Turns a column's values into JSON texts, fast: the JSON lines of a table are most of a build's work.

    Strings repeat a lot (a model, an axis, an item's ids on each of its scores), so their JSON is
    kept in a bounded cache; numbers are formatted directly; lists are built from their elements.
    """

    CACHE_SIZE = 50_000

    def __init__(self, data_type):
        self._encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
        self._cache = {None: "null"}
        value_type = data_type.value_type if pa.types.is_list(data_type) else data_type
        self._is_list = pa.types.is_list(data_type)
        self._is_string = pa.types.is_string(value_type)
        if self._is_string:
            self._value = self._string
        elif pa.types.is_boolean(value_type):
            self._value = _boolean
        elif pa.types.is_floating(value_type):
            self._value = _float
        else:
            self._value = _integer

    def encode(self, values):
        if self._is_list:
            value = self._value
            return ["null" if items is None else "[" + ",".join([value(item) for item in items]) + "]"
                    for items in values]
        if self._is_string:
            cache = self._cache
            return [cache.get(value) or self._string(value) for value in values]
        return [self._value(value) for value in values]

    def _string(self, value):
        text = self._cache.get(value)
        if text is None:
            if len(self._cache) > self.CACHE_SIZE:
                self._cache = {None: "null"}
            text = self._cache[value] = self._encode(value)
        return text


def _boolean(value):
    return "null" if value is None else ("true" if value else "false")


def _integer(value):
    return "null" if value is None else str(int(value))


def _float(value):
    return "null" if value is None or value != value else repr(float(value))


def write_json(folder, path, data, fmt="json"):
    """Write ``data`` as indented UTF-8 JSON (or, for fmt="md" and text, as it is) and return the WrittenFile."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    handle = HashingFile(Path(folder) / path)
    with handle:
        handle.write(text.encode())
    return WrittenFile(path, handle.size, handle.hexdigest, fmt)
