"""The film catalogue: films, the people in them, awards and trivia."""

import re
import unicodedata
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from anyascii import anyascii
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from watchparty.models.base import Base, UTCDateTime, utcnow

CREDIT_ROLES = ("director", "writer", "producer", "editor", "cinematographer", "composer", "cast")
WATCH_FORMATS = ("cinema", "dvd", "bluray", "digital", "streaming")

# Folded search text can be longer than the text it comes from: one CJK
# character becomes a syllable ("北京" -> "beijing"), an emoji its name.
SEARCH_LENGTH = 600
_SPACES = re.compile(r"\s+")


def search_key(text: str) -> str:
    """Lower-case ASCII form of `text` for case- and accent-insensitive search.

    The same folding runs in Python on both databases, so SQLite and
    PostgreSQL compare exactly the same strings with a plain LIKE.
    """
    folded = anyascii(unicodedata.normalize("NFKC", text or "")).lower()
    return _SPACES.sub(" ", folded).strip()[:SEARCH_LENGTH]


class Film(Base):
    __tablename__ = "film"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    # Title folded to lower-case ASCII, for case- and accent-insensitive search.
    search_title: Mapped[str] = mapped_column(sa.String(SEARCH_LENGTH), index=True)
    year: Mapped[int]
    runtime_minutes: Mapped[int | None]
    tagline: Mapped[str] = mapped_column(sa.String(300), default="")
    synopsis: Mapped[str] = mapped_column(sa.Text, default="")
    genres: Mapped[str] = mapped_column(sa.String(200), default="")  # comma-separated
    # Where to watch: comma-separated WATCH_FORMATS plus free-text service names.
    watch_formats: Mapped[str] = mapped_column(sa.String(200), default="")
    streaming_services: Mapped[str] = mapped_column(sa.String(300), default="")
    poster_filename: Mapped[str | None] = mapped_column(sa.String(100))
    # What must not be given away: how the film ends, and its key turns (one per
    # line). Only the film's editors see them (in the film form); no page shows
    # them. The review importer reads them to fold the sections that spoil.
    spoiler_ending: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    spoiler_turns: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Added by a host from the party form (only a title and a year): kept out of the public
    # catalogue until it has a synopsis or an admin approves it (`is_listed`).
    added_for_party: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    credits: Mapped[list["Credit"]] = relationship(
        back_populates="film", cascade="all, delete-orphan", order_by="Credit.position"
    )
    awards: Mapped[list["Award"]] = relationship(
        back_populates="film", cascade="all, delete-orphan", order_by="Award.position"
    )
    trivia: Mapped[list["Trivia"]] = relationship(
        back_populates="film", cascade="all, delete-orphan", order_by="Trivia.position"
    )

    __table_args__ = (
        sa.CheckConstraint("year >= 1888 AND year <= 2200", name="year_range"),
        sa.CheckConstraint("runtime_minutes IS NULL OR runtime_minutes > 0", name="runtime_positive"),
    )

    # The catalogue's one listing rule, in Python and in SQL: a film a host added for a party
    # is listed (on /films/, in search, in the film picker of other hosts) once it has a year
    # and a synopsis, or an admin approved it. Every film has a year (NOT NULL).
    @hybrid_property
    def is_listed(self) -> bool:
        return not self.added_for_party or self.approved_at is not None or bool(self.synopsis)

    @is_listed.inplace.expression
    @classmethod
    def _is_listed_expression(cls) -> sa.ColumnElement[bool]:
        return sa.or_(cls.added_for_party.is_(False), cls.approved_at.is_not(None), cls.synopsis != "")

    @classmethod
    def visible_to(cls, user_id: int | None, is_admin: bool = False) -> sa.ColumnElement[bool]:
        """Films a person may find: listed ones, plus those they added themselves (an admin: all)."""
        listed = cast(sa.ColumnElement[bool], cls.is_listed)
        if is_admin:
            return sa.true()
        if user_id is None:
            return listed
        return sa.or_(listed, cls.created_by_id == user_id)

    @validates("title")
    def _fold_title(self, key: str, value: str) -> str:
        self.search_title = search_key(value)
        return value

    def __repr__(self) -> str:
        return f"<Film {self.slug}>"


class Person(Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    search_name: Mapped[str] = mapped_column(sa.String(SEARCH_LENGTH), index=True)

    @validates("name")
    def _fold_name(self, key: str, value: str) -> str:
        self.search_name = search_key(value)
        return value


class Credit(Base):
    __tablename__ = "credit"

    id: Mapped[int] = mapped_column(primary_key=True)
    film_id: Mapped[int] = mapped_column(sa.ForeignKey("film.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    character: Mapped[str] = mapped_column(sa.String(200), default="")
    # Searching "zakharov" finds Anora through Vanya's surname.
    search_character: Mapped[str] = mapped_column(sa.String(SEARCH_LENGTH), default="")
    # Billing order for cast, listing order for crew.
    position: Mapped[int] = mapped_column(default=0)

    film: Mapped[Film] = relationship(back_populates="credits")
    person: Mapped[Person] = relationship()

    @validates("character")
    def _fold_character(self, key: str, value: str) -> str:
        self.search_character = search_key(value)
        return value

    __table_args__ = (
        sa.CheckConstraint(
            "role IN (" + ", ".join(f"'{role}'" for role in CREDIT_ROLES) + ")", name="role_known"
        ),
    )


class Award(Base):
    __tablename__ = "award"

    id: Mapped[int] = mapped_column(primary_key=True)
    film_id: Mapped[int] = mapped_column(sa.ForeignKey("film.id", ondelete="CASCADE"), index=True)
    ceremony: Mapped[str] = mapped_column(sa.String(200))  # "97th Academy Awards"
    year: Mapped[int]
    category: Mapped[str] = mapped_column(sa.String(200))
    nominee: Mapped[str] = mapped_column(sa.String(200), default="")
    won: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    film: Mapped[Film] = relationship(back_populates="awards")


class Trivia(Base):
    __tablename__ = "trivia"

    id: Mapped[int] = mapped_column(primary_key=True)
    film_id: Mapped[int] = mapped_column(sa.ForeignKey("film.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    is_spoiler: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    film: Mapped[Film] = relationship(back_populates="trivia")
