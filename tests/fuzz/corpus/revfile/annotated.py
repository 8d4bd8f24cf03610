"""add column

Revision ID: abc123
Revises: def456
Create Date: 2024-06-01 00:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "abc123"
down_revision: Union[str, None] = "def456"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    revision = "inner"
    x = """
revision = 'in-string'
"""
    op.add_column("t", sa.Column("c", sa.Integer()))


def downgrade() -> None:
    op.drop_column("t", "c")
