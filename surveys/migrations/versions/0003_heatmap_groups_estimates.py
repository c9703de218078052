"""heatmap: department and organisation rows, estimated trust, suppression, change, calibration

Team results get why a cell is suppressed, whether a trust value is estimated, and the
change from the previous wave; group_scale_result holds department and organisation rows
pooled over their teams; trust_calibration holds the driver model fitted at each close of a
full wave. Existing rows keep their numbers (new columns are NULL: measured, not compared).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

from surveys.db import NAMING_CONVENTION as NAMING


def upgrade():
    with op.batch_alter_table('team_scale_result', naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column('estimate', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('suppressed', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('change', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('change_ci_low', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('change_ci_high', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('previous_wave_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'team_scale_result_previous_wave_id_fkey', 'wave', ['previous_wave_id'], ['id'],
            ondelete='SET NULL',
        )
    # Rows stored before this migration withheld the numbers of teams below k, and only those.
    op.execute(
        "UPDATE team_scale_result SET suppressed = 'below_k' WHERE mean IS NULL"
    )
    op.create_table('group_scale_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('scale', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('mean', sa.Double(), nullable=True),
    sa.Column('sd', sa.Double(), nullable=True),
    sa.Column('ci_low', sa.Double(), nullable=True),
    sa.Column('ci_high', sa.Double(), nullable=True),
    sa.Column('rwg_j', sa.Double(), nullable=True),
    sa.Column('estimate', sa.String(length=16), nullable=True),
    sa.Column('suppressed', sa.String(length=16), nullable=True),
    sa.Column('change', sa.Double(), nullable=True),
    sa.Column('change_ci_low', sa.Double(), nullable=True),
    sa.Column('change_ci_high', sa.Double(), nullable=True),
    sa.Column('previous_wave_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['previous_wave_id'], ['wave.id'], name='group_scale_result_previous_wave_id_fkey', ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name='group_scale_result_team_id_fkey'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name='group_scale_result_wave_id_fkey', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='group_scale_result_pkey'),
    sa.UniqueConstraint('wave_id', 'level', 'team_id', 'scale', name='group_scale_result_wave_id_level_team_id_scale_key')
    )
    with op.batch_alter_table('group_scale_result', schema=None) as batch_op:
        batch_op.create_index('ix_group_scale_result_wave_id', ['wave_id'], unique=False)
    op.create_table('trust_calibration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('drivers', sa.JSON(), nullable=False),
    sa.Column('wave_ids', sa.JSON(), nullable=False),
    sa.Column('cognitive', sa.JSON(), nullable=False),
    sa.Column('affective', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name='trust_calibration_pkey')
    )


def downgrade():
    op.drop_table('trust_calibration')
    with op.batch_alter_table('group_scale_result', schema=None) as batch_op:
        batch_op.drop_index('ix_group_scale_result_wave_id')
    op.drop_table('group_scale_result')
    with op.batch_alter_table('team_scale_result', naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint('team_scale_result_previous_wave_id_fkey', type_='foreignkey')
        batch_op.drop_column('previous_wave_id')
        batch_op.drop_column('change_ci_high')
        batch_op.drop_column('change_ci_low')
        batch_op.drop_column('change')
        batch_op.drop_column('suppressed')
        batch_op.drop_column('estimate')
