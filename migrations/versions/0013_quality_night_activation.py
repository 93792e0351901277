"""The activation date as each quality night read it.

A re-run of a past night read `activated_at` from the registry as it is now: a date corrected
since changed the night's seniority, its Top Seller and its trial counters. The nights stored
before this revision get the registry's date now, the best knowledge there is.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a catalog migrated by a first version of 0012, committed for a few hours, has it
    columns = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('quality_indicators')}
    if 'activated_at' not in columns:
        with op.batch_alter_table('quality_indicators') as batch:
            batch.add_column(sa.Column('activated_at', sa.Date(), nullable=True))
    op.get_bind().execute(sa.text(  # a date that first version stored is what the night read
        "UPDATE quality_indicators SET activated_at = (SELECT s.activated_at FROM sellers s"
        " WHERE s.seller_id = quality_indicators.seller_id) WHERE activated_at IS NULL"))


def downgrade() -> None:
    with op.batch_alter_table('quality_indicators') as batch:
        batch.drop_column('activated_at')
