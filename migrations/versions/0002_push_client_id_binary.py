"""push client ids compare case-sensitively on MySQL/MariaDB

Revision ID: 0002_push_client_id_binary
Revises: 0001
Create Date: 2026-11-21 13:00:00

``push_bindings.client_id`` had the table's case-insensitive collation
(``utf8mb4_unicode_ci``): binding ``abcdef`` moved another user's ``ABCdef``.
SQLite already compares case-sensitively; nothing changes there.
"""
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '0002_push_client_id_binary'
down_revision = '0001'
branch_labels = None
depends_on = None


def _client_id(collation: str) -> None:
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        op.alter_column('push_bindings', 'client_id', existing_nullable=False,
                        type_=mysql.VARCHAR(128, collation=collation),
                        existing_type=mysql.VARCHAR(128))


def upgrade():
    _client_id("utf8mb4_bin")


def downgrade():
    _client_id("utf8mb4_unicode_ci")
