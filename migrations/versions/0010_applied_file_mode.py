"""A content applied in update mode may still be applied once in replace mode.

Ops make a seller's file their whole catalogue with `--mode replace`; when the seller had
dropped that same file in the inbox first (update), the replace was answered "duplicate" and
withdrew nothing. The mode joins the once-key: a replace is applied once per content, and an
update after either is still a duplicate (`loaders.ingest._applying_import`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('applied_files') as batch:
        batch.add_column(sa.Column('mode', sa.String(length=10), server_default='update',
                                   nullable=False))
        batch.drop_constraint('uq_applied_files_content', type_='unique')
        batch.create_unique_constraint('uq_applied_files_content',
                                       ['kind', 'seller_scope', 'sha256', 'mode'])
    # the replaces applied before: recorded as such, an old replace file sent again stays a
    # duplicate (read as an update's, it applied again and withdrew newer offers)
    op.execute("UPDATE applied_files SET mode = 'replace' WHERE import_id IN"
               " (SELECT id FROM imports WHERE mode = 'replace')")


def downgrade() -> None:
    # the replace of a content also applied in update mode goes: the old key holds one of them
    op.execute("DELETE FROM applied_files WHERE mode = 'replace' AND EXISTS (SELECT 1 FROM"
               " applied_files AS other WHERE other.kind = applied_files.kind AND"
               " other.seller_scope = applied_files.seller_scope AND other.sha256 ="
               " applied_files.sha256 AND other.mode <> 'replace')")
    with op.batch_alter_table('applied_files') as batch:
        batch.drop_constraint('uq_applied_files_content', type_='unique')
        batch.create_unique_constraint('uq_applied_files_content', ['kind', 'seller_scope', 'sha256'])
        batch.drop_column('mode')
