"""Orders: the latest exported state of each order (order activity feed).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

def upgrade() -> None:

    op.create_table('orders',
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('seller_id', sa.BigInteger(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('customer_type', sa.String(length=12), nullable=True),
    sa.Column('ordered_at', sa.DateTime(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('shipping_amount', sa.BigInteger(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('refused_at', sa.DateTime(), nullable=True),
    sa.Column('shipped_at', sa.DateTime(), nullable=True),
    sa.Column('delivery', sa.String(length=10), nullable=True),
    sa.Column('tracking_number', sa.String(length=64), nullable=True),
    sa.Column('carrier', sa.String(length=64), nullable=True),
    sa.Column('estimated_delivery_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('refunded_at', sa.DateTime(), nullable=True),
    sa.Column('refund_amount', sa.BigInteger(), nullable=True),
    sa.Column('refund_reason', sa.String(length=12), nullable=True),
    sa.Column('claim_opened_at', sa.DateTime(), nullable=True),
    sa.Column('claim_reason', sa.Text(), nullable=True),
    sa.Column('question_at', sa.DateTime(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('rated_at', sa.DateTime(), nullable=True),
    sa.Column('rating_delivery_place', sa.SmallInteger(), nullable=True),
    sa.Column('rating_on_time', sa.SmallInteger(), nullable=True),
    sa.Column('rating_care', sa.SmallInteger(), nullable=True),
    sa.Column('rating_conformity', sa.SmallInteger(), nullable=True),
    sa.Column('rating_packaging', sa.SmallInteger(), nullable=True),
    sa.Column('goodwill_amount', sa.BigInteger(), nullable=True),
    sa.Column('goodwill_at', sa.DateTime(), nullable=True),
    sa.Column('export_date', sa.Date(), nullable=False),
    sa.Column('last_import_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('order_id')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_seller_ordered', ['seller_id', 'ordered_at'], unique=False)

def downgrade() -> None:

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_seller_ordered')

    op.drop_table('orders')

