"""item-total r per scale

A closed wave's scale results keep each item's corrected item-total r, to name the likely
cause of a low alpha or omega. Rows of waves closed before keep NULL.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scale_result') as batch_op:
        batch_op.add_column(sa.Column('item_total_r', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('scale_result') as batch_op:
        batch_op.drop_column('item_total_r')
