"""Credit notes name the invoices they correct (EN 16931 BG-3, French rule for corrections).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('invoices', sa.Column('preceding_invoices', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('invoices', 'preceding_invoices')
