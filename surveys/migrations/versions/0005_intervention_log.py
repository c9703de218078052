"""intervention log

A facilitator's record of an intervention (a playbook run with one or more teams, its dates,
who facilitated, notes), so that a later wave can show its measured effect.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('intervention',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('playbook_key', sa.String(length=64), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('facilitated_by', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.String(length=4000), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name='intervention_recorded_by_id_fkey', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name='intervention_pkey')
    )
    op.create_table('intervention_team',
    sa.Column('intervention_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['intervention_id'], ['intervention.id'], name='intervention_team_intervention_id_fkey', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name='intervention_team_team_id_fkey'),
    sa.PrimaryKeyConstraint('intervention_id', 'team_id', name='intervention_team_pkey')
    )


def downgrade():
    op.drop_table('intervention_team')
    op.drop_table('intervention')
