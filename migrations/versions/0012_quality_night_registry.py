"""The registry as each quality night read it: activation date and trial limits.

Re-running a past night read the registry as it was at the re-run: a trial limit lifted since
turned the night's `trial_limit_reached` into `active`, dated that night, while the nights after
it still said reached (quality.md: a re-run gives the same night). The nights stored before this
revision get what the registry holds now, the best knowledge there is.

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
        batch.add_column(sa.Column('activated_at', sa.Date(), nullable=True))
        batch.add_column(sa.Column('trial_max_orders', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('trial_max_revenue', sa.BigInteger(), nullable=True))
    op.get_bind().execute(sa.text(
        "UPDATE quality_indicators SET " + ", ".join(
            f"{column} = (SELECT s.{column} FROM sellers s"
            " WHERE s.seller_id = quality_indicators.seller_id)"
            for column in ("activated_at", "trial_max_orders", "trial_max_revenue"))))


def downgrade() -> None:
    with op.batch_alter_table('quality_indicators') as batch:
        batch.drop_column('trial_max_revenue')
        batch.drop_column('trial_max_orders')
        batch.drop_column('activated_at')
