"""Import every domain's models so metadata (and Alembic) sees all tables."""

from govsignin.accounts.models import MfaMethod, PasswordCredential, User  # noqa: F401
from govsignin.accounts.service_uses import ServiceUse  # noqa: F401
from govsignin.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditPersonal  # noqa: F401
from govsignin.db.base import Base  # noqa: F401
from govsignin.identity.models import StoredIdentity  # noqa: F401
from govsignin.keys.models import SigningKey  # noqa: F401
from govsignin.migration.models import LegacyAccount  # noqa: F401
from govsignin.messaging.models import OutboxMessage, QueuedMessage  # noqa: F401
from govsignin.oidc.models import BackchannelDelivery  # noqa: F401
from govsignin.onboarding.models import RelyingParty  # noqa: F401
from govsignin.store.models import EphemeralEntry, SecurityState  # noqa: F401
