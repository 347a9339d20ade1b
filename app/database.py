"""Round trips to PostgreSQL: a dead connection found without one, a read that needs no
transaction sent without BEGIN and ROLLBACK.

Measured (docs/performance.md): a member's page whose content is kept runs one statement, the
sign-in check, yet cost four round trips to PostgreSQL: the pool's pre-ping (";"), BEGIN, the
check, and the ROLLBACK that returns the connection to the pool. On a server sharing the two
cores each round trip costs about as much as rendering the page's header.

- ``check_on_checkout`` replaces SQLAlchemy's ``pool_pre_ping``. A server that goes away (a
  restart, a terminated backend, an idle timeout) tells each client first: it sends an error
  and closes the socket, so an idle connection with anything to read is suspect. Only then, or
  when the connection has sat in the pool longer than ``QUIET_SECONDS``, is it pinged, and
  replaced if the ping fails (``DisconnectionError``: the pool connects afresh and retries). The
  second rule is for what stays silent until spoken to: a database that failed over behind the
  same address, or a load balancer or NAT that dropped an idle flow and resets it on the next
  packet (found by a review: with the socket check alone the first request after such a spell
  got the 503 page). A busy worker's connections are never that quiet, so they are handed out
  without a round trip; a quiet one pays one ping, as every checkout did before.
- ``read_outside_transaction`` runs a plain read (the sign-in check) with the driver in
  autocommit, as SQLite's driver runs every SELECT: under PostgreSQL's READ COMMITTED, the
  default here, each statement takes its own snapshot anyway, so a read before BEGIN sees what
  it would have seen after it. It holds no lock that a transaction would have held to its end,
  so it is only for reads that take none (no FOR UPDATE, no advisory lock). Whatever the
  request runs next opens a transaction as usual; if it runs nothing, the connection goes back
  to the pool with nothing to roll back (psycopg sends no ROLLBACK for an idle connection).
"""

from __future__ import annotations

import contextlib
import select
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

# A connection back in the pool for longer than this is pinged before use (see above).
QUIET_SECONDS = 30.0
_RETURNED = "inkwell_returned_at"  # in the connection record's ``info``: when it came back


def check_on_checkout(engine: sa.Engine) -> None:
    """Check each connection the pool hands out as described above (PostgreSQL)."""
    sa.event.listen(engine, "checkout", _alive_or_replaced(engine.dialect))
    sa.event.listen(engine, "checkin", _note_return)


def _note_return(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_RETURNED] = time.monotonic()


def _alive_or_replaced(dialect: sa.Dialect) -> Any:
    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # A new connection has no return time (``info`` starts empty with each connection).
        returned = record.info.get(_RETURNED)
        quiet = returned is not None and time.monotonic() - returned > QUIET_SECONDS
        if not quiet and not _has_news(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise sa.exc.DisconnectionError(f"connection lost: {error}") from error

    return check


def _has_news(dbapi_connection: Any) -> bool:
    """Whether an idle connection has anything to read (or is closed): the server closing it,
    or now and then a notice. Either way the caller asks the server."""
    if getattr(dbapi_connection, "closed", False):
        return True
    try:
        descriptor = dbapi_connection.fileno()
    except Exception:
        return True
    poller = select.poll()
    poller.register(descriptor, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


@contextlib.contextmanager
def read_outside_transaction(session: so.Session) -> Iterator[None]:
    """Run the statements inside without BEGIN (PostgreSQL, when no transaction is open yet).

    For plain reads only (see the module's docstring). Elsewhere, once the request has opened a
    transaction, or while the session holds changes not yet written (a read would flush them
    first, and they would be committed at once), the statements run as they would have
    without this.
    """
    if session.new or session.dirty or session.deleted:
        # Autoflush would write them with the read, committed at once: keep the transaction.
        yield
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is None or not _is_idle(dbapi_connection):
        yield
        return
    dbapi_connection.autocommit = True
    try:
        yield
    finally:
        try:
            dbapi_connection.autocommit = False
        except Exception:  # broken meanwhile: it must not go back to the pool
            with contextlib.suppress(Exception):
                connection.invalidate()


def _is_idle(dbapi_connection: Any) -> bool:
    from psycopg.pq import TransactionStatus

    return bool(
        not dbapi_connection.autocommit
        and dbapi_connection.info.transaction_status == TransactionStatus.IDLE
    )
