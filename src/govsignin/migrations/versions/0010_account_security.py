"""account security: one authenticator app and one pending lost-factor request per account

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 02:30:00

Sign-in checks one authenticator app, so an account keeps one: a partial unique index on
mfa_methods(user_id) where kind = 'auth_app'. Accounts that already have two keep the older
(the one sign-in has been checking), which becomes the default if either was.

A lost-factor request is used once, and two made at the same moment must not both stay live: a
partial unique index on mfa_reset_requests(user_id) where state = 'pending'. Of several pending
requests the newest stays pending; the others are closed as "expired".
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UP = [
    """UPDATE mfa_methods SET priority = 'default'
       WHERE kind = 'auth_app'
         AND id IN (SELECT min(id) FROM mfa_methods WHERE kind = 'auth_app' GROUP BY user_id HAVING count(*) > 1)
         AND EXISTS (SELECT 1 FROM mfa_methods other WHERE other.user_id = mfa_methods.user_id
                     AND other.kind = 'auth_app' AND other.priority = 'default')""",
    """DELETE FROM mfa_methods
       WHERE kind = 'auth_app'
         AND id NOT IN (SELECT min(id) FROM mfa_methods WHERE kind = 'auth_app' GROUP BY user_id)""",
    "CREATE UNIQUE INDEX uq_mfa_methods_one_auth_app ON mfa_methods (user_id) WHERE kind = 'auth_app'",
    """UPDATE mfa_reset_requests SET state = 'expired', closed_at = CURRENT_TIMESTAMP
       WHERE state = 'pending'
         AND EXISTS (SELECT 1 FROM mfa_reset_requests newer WHERE newer.user_id = mfa_reset_requests.user_id
                     AND newer.state = 'pending'
                     AND (newer.requested_at > mfa_reset_requests.requested_at
                          OR (newer.requested_at = mfa_reset_requests.requested_at AND newer.id > mfa_reset_requests.id)))""",
    "CREATE UNIQUE INDEX uq_mfa_reset_requests_one_pending ON mfa_reset_requests (user_id) WHERE state = 'pending'",
]
DOWN = ["DROP INDEX IF EXISTS uq_mfa_reset_requests_one_pending", "DROP INDEX IF EXISTS uq_mfa_methods_one_auth_app"]


def upgrade() -> None:
    for statement in UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWN:
        op.execute(statement)
