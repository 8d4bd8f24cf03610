"""merge heads

Revision ID: ffee00112233
Revises: aaa111, bbb222
Create Date: 2024-05-02 10:11:12.345678

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ffee00112233'
down_revision = ('aaa111', 'bbb222')
branch_labels = ('feature',)
depends_on = 'ccc333'


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
