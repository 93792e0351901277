"""Invoices and their yearly number counters (filled by the invoices work).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invoice_counters',
    sa.Column('series', sa.String(length=2), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series', 'year')
    )
    op.create_table('invoices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('series', sa.String(length=2), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('type_code', sa.SmallInteger(), nullable=False),
    sa.Column('seller_id', sa.BigInteger(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('payment_date', sa.Date(), nullable=False),
    sa.Column('reverse_charge', sa.Boolean(), nullable=False),
    sa.Column('commission_excl_vat', sa.BigInteger(), nullable=False),
    sa.Column('commission_vat', sa.BigInteger(), nullable=False),
    sa.Column('subscription_excl_vat', sa.BigInteger(), nullable=False),
    sa.Column('subscription_vat', sa.BigInteger(), nullable=False),
    sa.Column('premium_excl_vat', sa.BigInteger(), nullable=False),
    sa.Column('premium_vat', sa.BigInteger(), nullable=False),
    sa.Column('total_excl_vat', sa.BigInteger(), nullable=False),
    sa.Column('total_vat', sa.BigInteger(), nullable=False),
    sa.Column('total_incl_vat', sa.BigInteger(), nullable=False),
    sa.Column('customer_legal_name', sa.String(length=200), nullable=False),
    sa.Column('customer_legal_form', sa.String(length=50), nullable=True),
    sa.Column('customer_siren', sa.String(length=9), nullable=True),
    sa.Column('customer_vat_number', sa.String(length=20), nullable=True),
    sa.Column('customer_address', sa.String(length=300), nullable=True),
    sa.Column('customer_postcode', sa.String(length=20), nullable=True),
    sa.Column('customer_city', sa.String(length=100), nullable=True),
    sa.Column('customer_country', sa.String(length=2), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number'),
    sa.UniqueConstraint('seller_id', 'month', 'series', name='uq_invoices_seller_month_series'),
    sa.UniqueConstraint('series', 'year', 'sequence', name='uq_invoices_series_year_sequence')
    )


def downgrade() -> None:
    op.drop_table('invoices')
    op.drop_table('invoice_counters')
