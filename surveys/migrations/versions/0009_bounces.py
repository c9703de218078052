"""delivery: a random tag per email, so that a bounce read later finds its delivery

Emails planned before this have none; their bounces are not matched.

Revision ID: 0009_bounces
Revises: 0008
Create Date: 2026-12-01 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_bounces'
down_revision = '0008'
branch_labels = None
depends_on = None

from surveys.db import NAMING_CONVENTION as NAMING


def upgrade():
    with op.batch_alter_table('delivery', naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column('tag', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint('delivery_tag_key', ['tag'])


def downgrade():
    with op.batch_alter_table('delivery', naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint('delivery_tag_key', type_='unique')
        batch_op.drop_column('tag')
