"""The registry's trial limits as each quality night read them.

Re-running a past night read the registry as it was at the re-run: a trial limit lifted since
turned the night's `trial_limit_reached` into `active`, dated that night, while the nights after
it still said reached (quality.md: a re-run gives the same night). The nights stored before this
revision get the limits the registry holds now, the best knowledge there is.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quality_indicators') as batch:
        batch.add_column(sa.Column('trial_max_orders', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('trial_max_revenue', sa.BigInteger(), nullable=True))
    op.get_bind().execute(sa.text(
        "UPDATE quality_indicators SET"
        " trial_max_orders = (SELECT s.trial_max_orders FROM sellers s"
        " WHERE s.seller_id = quality_indicators.seller_id),"
        " trial_max_revenue = (SELECT s.trial_max_revenue FROM sellers s"
        " WHERE s.seller_id = quality_indicators.seller_id)"))


def downgrade() -> None:
    with op.batch_alter_table('quality_indicators') as batch:
        batch.drop_column('trial_max_revenue')
        batch.drop_column('trial_max_orders')
