"""Uploaded film posters, kept in the database: every server answers for every
poster, and a poster is saved or dropped in the same transaction as its film."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from watchparty.models.base import Base, UTCDateTime, utcnow


class PosterImage(Base):
    __tablename__ = "poster_image"

    # A random name made by films.posters ("<32 hex>.webp"): the URL, and the
    # value of film.poster_filename. A new upload gets a new name, so a poster
    # URL may be cached for a year.
    filename: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(40))
    # Re-encoded on upload (never the bytes as sent), at most 800 x 1200.
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<PosterImage {self.filename}>"
