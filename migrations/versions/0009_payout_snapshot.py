"""Payouts keep the seller's names and masked IBAN as they were when the month was decided.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('payouts', sa.Column('shop_name', sa.String(length=200), nullable=True))
    op.add_column('payouts', sa.Column('legal_name', sa.String(length=200), nullable=True))
    op.add_column('payouts', sa.Column('iban_masked', sa.String(length=34), nullable=True))


def downgrade() -> None:
    op.drop_column('payouts', 'iban_masked')
    op.drop_column('payouts', 'legal_name')
    op.drop_column('payouts', 'shop_name')
