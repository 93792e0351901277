"""The nights of the quality report and whether their files were published.

A night whose files failed to publish kept its status changes in the catalog, and the next night
read it as its previous night: a seller's loss of Top Seller or entry into probation was in no
published file. The nights stored before this revision had their files written: they are
recorded as published.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'quality_nights',
        sa.Column('report_date', sa.Date(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('report_date'),
    )
    op.get_bind().execute(
        sa.text("INSERT INTO quality_nights (report_date, published_at)"
                " SELECT DISTINCT report_date, :now FROM quality_indicators"),
        {"now": datetime.now(UTC).replace(tzinfo=None)})


def downgrade() -> None:
    op.drop_table('quality_nights')
