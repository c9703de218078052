"""links by email, an audit log, and closing forgets participation

New tables: audit_event (exports of links and invitations issued after a wave opened),
mailing and delivery (email batches). wave_team gets invitations_issued, the per-team count
that remains once a closed wave has forgotten who was invited and who answered. Waves closed
before this revision are made to forget now, as closing does from here on.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wave_team') as batch_op:
        batch_op.add_column(sa.Column('invitations_issued', sa.Integer(), nullable=True))
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name='audit_event_team_id_fkey'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name='audit_event_user_id_fkey'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name='audit_event_wave_id_fkey', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='audit_event_pkey')
    )
    op.create_index('ix_audit_event_wave_id', 'audit_event', ['wave_id'], unique=False)
    op.create_table('mailing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('planned', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('unknown', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name='mailing_user_id_fkey'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name='mailing_wave_id_fkey', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='mailing_pkey')
    )
    op.create_index('ix_mailing_wave_id', 'mailing', ['wave_id'], unique=False)
    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailing_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], name='delivery_invitation_id_fkey', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mailing_id'], ['mailing.id'], name='delivery_mailing_id_fkey', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='delivery_pkey'),
    sa.UniqueConstraint('mailing_id', 'invitation_id', name='delivery_mailing_id_invitation_id_key')
    )
    op.create_index('ix_delivery_mailing_id', 'delivery', ['mailing_id'], unique=False)

    # Waves closed before this revision forget now what closing forgets from here on.
    closed = 'SELECT id FROM wave WHERE closed_at IS NOT NULL'
    op.execute(
        'UPDATE wave_team SET invitations_issued = (SELECT COUNT(*) FROM invitation i '
        'WHERE i.wave_id = wave_team.wave_id AND i.team_id = wave_team.team_id) '
        f'WHERE wave_id IN ({closed})'
    )
    op.execute(
        f"UPDATE invitation SET member_id = NULL, used = false, nonce = '' "
        f'WHERE wave_id IN ({closed})'
    )


def downgrade():
    op.drop_index('ix_delivery_mailing_id', table_name='delivery')
    op.drop_table('delivery')
    op.drop_index('ix_mailing_wave_id', table_name='mailing')
    op.drop_table('mailing')
    op.drop_index('ix_audit_event_wave_id', table_name='audit_event')
    op.drop_table('audit_event')
    with op.batch_alter_table('wave_team') as batch_op:
        batch_op.drop_column('invitations_issued')
