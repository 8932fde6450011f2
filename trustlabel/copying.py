"""Writing many rows at once into PostgreSQL: by COPY, its text made in one pass, sent on
the caller's connection (or by a thread of their own, see Copier), and long lists of
strings as array parameters. What capture, the logistics tables and the ledger's entries
of events need to keep up with a packing line (docs/benchmarks.md, "EPCIS capture")."""

import contextlib
import functools
import queue
import sys
import threading
from concurrent.futures import Future

import psycopg
from django.db import connection

# A column's value among strings given as one parameter (text_array), as in
# f"WHERE event_id {IN_TEXTS}"; looked up with by_index().
IN_TEXTS = "= ANY(%s::text[])"


@contextlib.contextmanager
def by_index(cursor=None):
    """Queries (in the caller's transaction, on PostgreSQL) planned to read an index where
    the table has one: for thousands of keys looked up at once. Without statistics on
    the table (a new table, the rows a capture has just added, a server without
    autovacuum), the planner takes each value to match one row in 200 and reads the
    whole table instead: after 80,000 events, 40 ms against 7 ms for 2,000 event IDs,
    measured, and growing with the table. Nothing is set outside a transaction (where
    SET LOCAL would not last) nor on SQLite; if a query fails, the transaction is rolled
    back, and the setting with it. `cursor`: a cursor of psycopg on a connection in a
    transaction (see Copier.ask), for the queries made on it; else Django's connection."""
    if cursor is None and not (connection.vendor == "postgresql" and connection.in_atomic_block):
        yield
        return
    with contextlib.ExitStack() as stack:
        if cursor is None:
            cursor = stack.enter_context(connection.cursor())
        cursor.execute("SET LOCAL enable_seqscan = off")
        yield
        cursor.execute("RESET enable_seqscan")


def text_array(values) -> str:
    """`values` (strings) as the text of a PostgreSQL text[] (see IN_TEXTS): psycopg
    adapts a list of strings one by one, which for the 30,000 keys of a document takes
    longer than the query they are for."""
    values = list(values)
    joined = '","'.join(values)
    if "\\" in joined or joined.count('"') != 2 * max(len(values) - 1, 0):
        joined = '","'.join(v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return '{"' + joined + '"}' if values else "{}"


def bound_cursor(cursor_class=psycopg.Cursor):
    """A Django cursor (health check, error wrapping, query logging) over a psycopg
    cursor of `cursor_class` on the current connection, which binds parameters on the
    server (PostgreSQL only): Django's own cursors there write every parameter into the
    statement's text."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    cursor = cursor_class(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


def write_bound(instance, field: str, value) -> None:
    """Set one field of a stored row in the database (and on the instance), the value
    bound by the server on PostgreSQL (bound_cursor): written into the statement's text,
    the 8 MB document of a capture job took 0.06 s more (docs/benchmarks.md, "EPCIS
    capture")."""
    model = type(instance)
    setattr(instance, field, value)
    if connection.vendor != "postgresql":
        model.objects.filter(pk=instance.pk).update(**{field: value})
        return
    column = model._meta.get_field(field).column
    with bound_cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {column} = %s WHERE {model._meta.pk.column} = %s",  # noqa: S608
            [value, instance.pk],
        )


COPY_NULL = "\\N"  # None in the text of a COPY


def copy_now(copies: list[tuple[str, str]]) -> None:
    """Send COPYs of text (see copy_text) on Django's connection, in its transaction."""
    connection.ensure_connection()
    send_copies(connection.connection, copies)


def copy_text(model, columns: list[str], rows: list, line=None, backslashes: int = 0) -> tuple:
    """The COPY of `rows` (tuples of values for `columns`) into the model's table, as
    (statement, text in COPY's text format); the text is empty without rows.

    With `line`, a function of a row to its line (each value as str() gives it, None as
    \\N, bytes as \\\\x and their hex; `backslashes`: how many those write in all), the
    rows are made into text several times faster than value by value. That text is right
    only if no value has a character COPY escapes (a backslash, a tab or a line break),
    which the counts of those characters show: where one has, the values are escaped one
    by one."""
    text = ""
    if line is not None:
        text = "".join(map(line, rows))
        plain = (
            text.count("\t") == len(rows) * (len(columns) - 1)
            and text.count("\n") == len(rows)
            and text.count("\\") == backslashes
            and "\r" not in text
        )
        if not plain:
            text = ""
            line = None
    if line is None and rows:
        text = "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows)
    return _copy_sql(model, columns), text


def plain_line(row: tuple) -> str:
    """A line of COPY's text of three values that str() writes as COPY reads them (see
    copy_text)."""
    return f"{row[0]}\t{row[1]}\t{row[2]}\n"


def _copy_value(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return COPY_NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()  # bytea's hex form, its backslash escaped
    return str(value)  # numbers, times (ISO 8601 with their offset), UUIDs


def _copy_sql(model, columns: list[str]) -> str:
    return f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"


def send_copies(psycopg_connection, copies: list[tuple[str, str]]) -> None:
    """Send COPYs of text (see copy_text) on a connection of psycopg (not Django's, which
    belongs to one thread)."""
    with psycopg_connection.cursor() as cursor:
        for sql, text in copies:
            if text:
                with cursor.copy(sql) as copy:
                    for start in range(0, len(text), _PIECE):
                        copy.write(text[start : start + _PIECE])


# COPY's text is sent a piece at a time: psycopg encodes what it is given whole, and a
# document's events alone make 15 MB.
_PIECE = 1 << 20


# How long the thread of a Copier may wait for Python's lock while the caller's thread
# works (sys.setswitchinterval, 5 ms by default; set while a Copier runs). The thread
# needs the lock at each step of each COPY (the statement, each piece of text, the end),
# and PostgreSQL waits meanwhile: with 5 ms, its backend sat waiting for data 0.22 to
# 0.26 s of the 1.3 to 1.6 s its COPYs of a document of 10,000 events took, with 1 ms
# 0.12 to 0.14 s (its scheduler's statistics, /proc/<pid>/schedstat; docs/benchmarks.md,
# "EPCIS capture"); 0.5 and 0.2 ms did no better.
HANDOFF_INTERVAL = 0.001


class Copier:
    """COPYs sent on this connection (so in its transaction) by a thread of their own, in
    the order given, while the caller goes on: the thread mostly waits for PostgreSQL,
    which does not hold Python's lock. The caller waits (wait()) before it uses the
    connection itself; the error of a COPY is raised there, and the COPYs after it are
    not sent. Leaving with an exception, the COPYs not started are not sent.

    Queries can be put in the same line (ask()): those that the next COPYs do not depend
    on, asked before them, run as soon as the COPYs sent earlier are done, so that
    PostgreSQL goes from one statement to the next without waiting for the caller."""

    def __init__(self):
        self._queue: queue.Queue = queue.Queue()
        self._error: BaseException | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="copier", daemon=True)

    def __enter__(self) -> "Copier":
        connection.ensure_connection()
        self._connection = connection.connection  # the same connection in the thread
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._interval, HANDOFF_INTERVAL))
        self._thread.start()
        return self

    def __exit__(self, kind, error, trace) -> None:
        self._stopped = kind is not None
        self._queue.put(None)
        self._thread.join()
        sys.setswitchinterval(self._interval)
        if kind is None:
            self._raise()

    def send(self, copies: list[tuple[str, str]]) -> None:
        self._raise()
        if copies:
            self._queue.put((functools.partial(send_copies, copies=copies), None))

    def ask(self, question) -> Future:
        """question(psycopg connection), run by the thread after what was sent and asked
        before: its answer, or its error, in the Future. A question after a COPY that
        failed is not asked: its Future holds that COPY's error."""
        self._raise()
        answer = Future()
        self._queue.put((question, answer))
        return answer

    def wait(self) -> None:
        self._queue.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            work, answer = item
            try:
                if self._error is not None or self._stopped:
                    if answer is not None:
                        answer.set_exception(self._error or RuntimeError("the copier has stopped"))
                    continue
                result = work(self._connection)
                if answer is not None:
                    answer.set_result(result)
            except BaseException as e:  # raised in the caller's thread
                self._error = e
                if answer is not None:
                    answer.set_exception(e)
            finally:
                self._queue.task_done()
        self._queue.task_done()
