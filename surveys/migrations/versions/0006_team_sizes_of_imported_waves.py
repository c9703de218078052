"""team sizes of imported waves

A wave imported from a file has no invitations to count; the team sizes the file gives are
kept on wave_team (NULL for live waves). No row changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

from surveys.db import NAMING_CONVENTION as NAMING


def upgrade():
    with op.batch_alter_table('wave_team', naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column('team_size', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('wave_team', naming_convention=NAMING) as batch_op:
        batch_op.drop_column('team_size')
