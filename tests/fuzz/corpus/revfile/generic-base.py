"""add users table

Revision ID: 1a2b3c4d5e6f
Revises: 
Create Date: 2024-05-01 10:11:12.345678

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1a2b3c4d5e6f'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
