"""Every model, re-exported so that Alembic and the app see them all."""

from watchparty.models.base import Base, UTCDateTime, utcnow
from watchparty.models.user import User

__all__ = ["Base", "UTCDateTime", "User", "utcnow"]
