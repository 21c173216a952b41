"""Django's SQLite backend, with this process's writers queued in Python."""
