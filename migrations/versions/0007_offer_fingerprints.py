"""Offer fingerprints: a re-sent catalogue skips the rows it does not change.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('offers', sa.Column('fingerprint', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column('offers', 'fingerprint')
