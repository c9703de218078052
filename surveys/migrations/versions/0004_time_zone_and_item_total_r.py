"""organisation time zone, item-total r per scale

The organisation gets a time zone for every date shown and entered (NULL: the default, see
surveys/services/organisation.py); a closed wave's scale results keep each item's corrected
item-total r, to name the likely cause of a low alpha or omega. Existing rows keep NULL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('scale_result') as batch_op:
        batch_op.add_column(sa.Column('item_total_r', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('scale_result') as batch_op:
        batch_op.drop_column('item_total_r')
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.drop_column('time_zone')
