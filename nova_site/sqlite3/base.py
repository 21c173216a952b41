"""Django's SQLite backend, with this process's writers queued in Python.

SQLite lets one writer in at a time. A writer that finds the database
locked sleeps and tries again, in steps that grow to 100 ms, however soon
the lock is free: with many requests writing at once in one daphne
process, a write of a millisecond made others wait tens of milliseconds
(bench/README.md). Here the writers of one process instead wait on a lock
of their own around each transaction (``BEGIN IMMEDIATE`` to ``COMMIT`` or
``ROLLBACK``), and the next one goes the moment the last one ends. Writers
in other processes (a ``manage.py`` command) still meet SQLite's own lock
and busy timeout, as before.
"""

import logging
import threading
from typing import Any

from django.db.backends.sqlite3 import base

logger = logging.getLogger(__name__)

# Every connection of this process to the database takes turns on it.
_write_lock = threading.Lock()


# (django-stubs leave out the private methods overridden here.)
class DatabaseWrapper(base.DatabaseWrapper):
    _holds_write_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        # As long as SQLite's own busy timeout; past it, let SQLite decide.
        if _write_lock.acquire(timeout=self.settings_dict["OPTIONS"]["timeout"]):
            self._holds_write_lock = True
        else:
            logger.warning("sqlite: waited too long for this process's writers")
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            _write_lock.release()
