"""SQLAlchemy models: data only, no HTTP and no token logic."""

from .audit import AuditEvent
from .code import PasswordResetGrant, RateCounter, VerificationCode
from .content import (
    Faq,
    Feedback,
    FeedbackCategory,
    FeedbackReply,
    PushBinding,
    PushHidden,
    PushMessage,
    PushRecipient,
)
from .enterprise import Enterprise, EnterpriseApplication
from .session import Session, SessionToken
from .user import User

__all__ = [
    "AuditEvent",
    "Enterprise",
    "EnterpriseApplication",
    "Faq",
    "Feedback",
    "FeedbackCategory",
    "FeedbackReply",
    "PasswordResetGrant",
    "PushBinding",
    "PushHidden",
    "PushMessage",
    "PushRecipient",
    "RateCounter",
    "Session",
    "SessionToken",
    "User",
    "VerificationCode",
]
