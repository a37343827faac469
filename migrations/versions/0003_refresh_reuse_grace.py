"""refresh tokens remember their parent and their one grace retry

Revision ID: 0003_refresh_reuse_grace
Revises: 0002_push_client_id_binary
Create Date: 2026-11-24 10:00:00

``session_tokens.parent_id`` links each rotated pair to the refresh token it was
issued for, and ``session_tokens.retried_at`` records the one retry of a rotated
refresh token allowed within ``REFRESH_REUSE_GRACE`` (a refresh answer lost on a
mobile network). Existing rows keep ``NULL`` in both: tokens issued before the
upgrade have no recorded child, so retrying their parent is reuse, as before.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '0003_refresh_reuse_grace'
down_revision = '0002_push_client_id_binary'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('session_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column(
            'retried_at',
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'),
            nullable=True))
        batch_op.create_index(batch_op.f('ix_session_tokens_parent_id'), ['parent_id'], unique=False)


def downgrade():
    with op.batch_alter_table('session_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_tokens_parent_id'))
        batch_op.drop_column('retried_at')
        batch_op.drop_column('parent_id')
