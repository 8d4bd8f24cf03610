"""nan

Revision ID: inf
"""
revision = "nan"
down_revision = float("inf")
branch_labels = None
depends_on = None
