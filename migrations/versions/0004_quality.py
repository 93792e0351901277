"""Quality indicators history and seller status changes (the nightly quality report).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quality_indicators',
    sa.Column('report_date', sa.Date(), nullable=False),
    sa.Column('seller_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('window_end', sa.Date(), nullable=False),
    sa.Column('registry_status', sa.String(length=20), nullable=False),
    sa.Column('order_count', sa.Integer(), nullable=False),
    sa.Column('seniority_months', sa.Integer(), nullable=True),
    sa.Column('rating_points', sa.BigInteger(), nullable=False),
    sa.Column('rating_den', sa.Integer(), nullable=False),
    sa.Column('acceptance_num', sa.Integer(), nullable=False),
    sa.Column('acceptance_den', sa.Integer(), nullable=False),
    sa.Column('claim_num', sa.Integer(), nullable=False),
    sa.Column('claim_den', sa.Integer(), nullable=False),
    sa.Column('refund_num', sa.Integer(), nullable=False),
    sa.Column('refund_den', sa.Integer(), nullable=False),
    sa.Column('tracking_num', sa.Integer(), nullable=False),
    sa.Column('tracking_den', sa.Integer(), nullable=False),
    sa.Column('late_num', sa.Integer(), nullable=False),
    sa.Column('late_den', sa.Integer(), nullable=False),
    sa.Column('response_seconds', sa.BigInteger(), nullable=False),
    sa.Column('response_den', sa.Integer(), nullable=False),
    sa.Column('response_unanswered', sa.Integer(), nullable=False),
    sa.Column('trial_orders', sa.Integer(), nullable=True),
    sa.Column('trial_revenue', sa.BigInteger(), nullable=True),
    sa.Column('score_tenths', sa.SmallInteger(), nullable=True),
    sa.Column('top_seller', sa.Boolean(), nullable=False),
    sa.Column('top_seller_missing', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('probation_since', sa.Date(), nullable=True),
    sa.Column('status_change', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('report_date', 'seller_id')
    )
    with op.batch_alter_table('quality_indicators', schema=None) as batch_op:
        batch_op.create_index('ix_quality_indicators_seller', ['seller_id', 'report_date'], unique=False)

    op.create_table('quality_status_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seller_id', sa.BigInteger(), nullable=False),
    sa.Column('report_date', sa.Date(), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=False),
    sa.Column('to_status', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quality_status_changes', schema=None) as batch_op:
        batch_op.create_index('ix_quality_status_changes_seller', ['seller_id', 'report_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_status_changes_report_date'), ['report_date'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('quality_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_status_changes_report_date'))
        batch_op.drop_index('ix_quality_status_changes_seller')
    op.drop_table('quality_status_changes')
    with op.batch_alter_table('quality_indicators', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_indicators_seller')
    op.drop_table('quality_indicators')
