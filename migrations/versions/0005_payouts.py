"""Payout ledger, months and payouts (payouts.md).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seller_id', sa.BigInteger(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('entry_type', sa.String(length=20), nullable=False),
    sa.Column('booked_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('vat', sa.BigInteger(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entry_type', 'seller_id', 'reference', name='uq_ledger_booking')
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_month', ['month'], unique=False)
        batch_op.create_index('ix_ledger_order', ['order_id'], unique=False)
        batch_op.create_index('ix_ledger_seller_month', ['seller_id', 'month'], unique=False)

    op.create_table('payout_months',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('execution_date', sa.Date(), nullable=True),
    sa.Column('sepa_xml', sa.LargeBinary(), nullable=True),
    sa.Column('files_written_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('month')
    )
    op.create_table('payouts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seller_id', sa.BigInteger(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('opening', sa.BigInteger(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('release_date', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('seller_id', 'month', name='uq_payouts_seller_month')
    )


def downgrade() -> None:
    op.drop_table('payouts')
    op.drop_table('payout_months')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_seller_month')
        batch_op.drop_index('ix_ledger_order')
        batch_op.drop_index('ix_ledger_month')
    op.drop_table('ledger_entries')
