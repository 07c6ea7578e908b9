"""Labels of the API-token codes that audit entries carry (discovered by core.audit_text)."""

from sqm.api.models import RevokeReason
from sqm.core.audit_text import register_values
from sqm.core.models import AuditAction

register_values("reason", RevokeReason, scope=AuditAction.TOKEN_REVOKED)
