"""feedback can be closed by a manager

Revision ID: 0005_feedback_closed
Revises: 0004_account_lifecycle
Create Date: 2026-12-09 10:00:00

``feedbacks.closed_at`` / ``closed_by`` record that a manager closed a
feedback in the console (housekeeping: it leaves the open count and the
unanswered view). ``feedback_status`` keeps its platform meaning (0 open,
1 replied) and its values. Existing feedback stays not closed (``NULL``).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '0005_feedback_closed'
down_revision = '0004_account_lifecycle'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedbacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'closed_at',
            sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'),
            nullable=True))
        batch_op.add_column(sa.Column('closed_by', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_feedbacks_closed_by'), ['closed_by'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_feedbacks_closed_by_users'), 'users', ['closed_by'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('feedbacks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_feedbacks_closed_by_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_feedbacks_closed_by'))
        batch_op.drop_column('closed_by')
        batch_op.drop_column('closed_at')
