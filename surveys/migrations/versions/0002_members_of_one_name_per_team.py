"""members of one name per team

A team may have two members of the same name (two 王伟): the unique constraint on
(team_id, name) goes. Who is who is now decided by the roster import (surveys/services/rosters.py).
No row changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

from surveys.db import NAMING_CONVENTION as NAMING

# SQLite left the constraint unnamed; batch mode (which copies the table on SQLite) can drop
# it only once the metadata's naming convention names it as PostgreSQL did.
CONSTRAINT = 'member_team_id_name_key'


def upgrade():
    with op.batch_alter_table('member', naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(CONSTRAINT, type_='unique')


def downgrade():
    same_name = op.get_bind().execute(sa.text(
        'SELECT t.name, m.name FROM member m JOIN team t ON t.id = m.team_id '
        'GROUP BY t.name, m.name HAVING COUNT(*) > 1 ORDER BY t.name, m.name'
    )).all()
    if same_name:
        # Dropping or merging members would lose roster data; say what to resolve instead.
        listed = '; '.join(f'{team}: {name}' for team, name in same_name)
        raise RuntimeError(
            'cannot downgrade: these teams have several members of one name, which the '
            f'older schema does not allow: {listed}'
        )
    with op.batch_alter_table('member', naming_convention=NAMING) as batch_op:
        batch_op.create_unique_constraint(CONSTRAINT, ['team_id', 'name'])
