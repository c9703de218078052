"""organisation: share a team's results with its respondents after a wave closes

On by default, for existing organisations too: the thanks page has always promised it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 08:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

from surveys.db import NAMING_CONVENTION as NAMING


def upgrade():
    with op.batch_alter_table('organisation', naming_convention=NAMING) as batch_op:
        batch_op.add_column(
            sa.Column(
                'share_results_with_respondents',
                sa.Boolean(),
                server_default=sa.true(),
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table('organisation', naming_convention=NAMING) as batch_op:
        batch_op.drop_column('share_results_with_respondents')
