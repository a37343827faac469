"""indexes for the retention purge at scale

Revision ID: 0006_scale_indexes
Revises: 0005_feedback_closed
Create Date: 2026-12-09 18:00:00

``flask purge`` looks, batch by batch, for rows whose time has passed:
``sessions.expires_at`` / ``revoked_at``, ``session_tokens.expires_at`` and
``rate_counters.window_start``. Without an index each of its batch SELECTs
walked the primary key through every row kept (``make bench-scale``: 2.7
million sessions for one batch when few had ended). No request reads by these
columns; every statement the requests run was already served by an index.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006_scale_indexes'
down_revision = '0005_feedback_closed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sessions_revoked_at'), ['revoked_at'], unique=False)

    with op.batch_alter_table('session_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_tokens_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('rate_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_counters_window_start'), ['window_start'], unique=False)


def downgrade():
    with op.batch_alter_table('rate_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_counters_window_start'))

    with op.batch_alter_table('session_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_tokens_expires_at'))

    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessions_revoked_at'))
        batch_op.drop_index(batch_op.f('ix_sessions_expires_at'))
