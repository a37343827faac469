"""Column types that behave the same on SQLite and MySQL."""

from __future__ import annotations

from sqlalchemy import DateTime
from sqlalchemy.dialects import mysql

#: Naive UTC datetime with microseconds on MySQL too (``DATETIME(6)``).
UTCDateTime = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
