"""Passwords: the rule every way of setting one checks (check_password_rule, its one
home: the forms show it too), how guessable one is (zxcvbn's estimate and the
owner's own words), and how they are kept (scrypt hashes; an account made by an
emailed code has none until its owner sets one).
"""

import re
import threading
from collections.abc import Iterable
from functools import cache

from werkzeug.security import generate_password_hash
from zxcvbn import zxcvbn

from watchparty.errors import DomainError
from watchparty.models import User

# The password rule's one home: the forms show it, and every way to set a password checks it.
PASSWORD_MIN = 10
PASSWORD_MAX = 200


class WeakPassword(DomainError):
    status = 422
    field = "password"


# zxcvbn scores 0 to 4 from its estimate of the guesses an attacker needs; 3 means
# at least 10^8, the level its authors advise for accounts guarded only by a
# password. Common passwords, keyboard walks ("qwertyuiop"), repeats, dates and
# dictionary words with a digit ("password12") score lower.
SAFE_SCORE = 3
# zxcvbn refuses longer input (its matching is quadratic); a password whose first
# 72 characters are hard to guess is no easier with more after them.
_SCORED_LENGTH = 72
# A word shorter than this is too likely to occur by chance inside a good password.
_SHORTEST_PERSONAL_WORD = 4

# zxcvbn keeps the user's words in a module-level dictionary while it scores,
# so two threads scoring at once could see each other's words.
_zxcvbn_lock = threading.Lock()


def personal_words(email: str, display_name: str) -> list[str]:
    """The parts of an email address and name that a guesser tries first, lower-cased."""
    email = email.strip().lower()
    local = email.partition("@")[0]
    name = display_name.strip().lower()
    candidates = [email, local, re.sub(r"\s+", "", name), *re.split(r"[^\w]+|_", f"{local} {name}")]
    return sorted({word for word in candidates if len(word) >= _SHORTEST_PERSONAL_WORD})


def contains_personal_word(password: str, words: Iterable[str]) -> bool:
    """True when one of the words stands in the password not run into other letters:
    "otto-rocks" and "Otto123" contain Otto's name, "another" does not contain "other"."""
    lowered = password.lower()
    return any(re.search(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])", lowered) for word in words)


def is_guessable(password: str, words: Iterable[str] = ()) -> bool:
    """True when zxcvbn scores the password below SAFE_SCORE, knowing the owner's words."""
    with _zxcvbn_lock:
        result = zxcvbn(password[:_SCORED_LENGTH], user_inputs=list(words))
    return result["score"] < SAFE_SCORE


def check_password_rule(password: str, email: str = "", display_name: str = "") -> None:
    """WeakPassword unless the password is long enough (and not absurdly long), does
    not contain its owner's email address or name, and is not among the first an
    attacker tries: common passwords, keyboard rows, repeats (below)."""
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise WeakPassword(f"Use between {PASSWORD_MIN} and {PASSWORD_MAX} characters.")
    words = personal_words(email, display_name)
    if contains_personal_word(password, words):
        raise WeakPassword("Choose a password that does not contain your email address or name.")
    if is_guessable(password, words):
        raise WeakPassword(
            "This password is one of the first a stranger would try (a common password, a keyboard row "
            "or a repeat). A few unrelated words work well."
        )


# The password of an account made by an emailed code, until its owner sets one: no hash matches it.
NO_PASSWORD = "!"  # noqa: S105 (not a password: a hash that no password matches)


def has_password(user: User) -> bool:
    return user.password_hash != NO_PASSWORD


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


@cache
def dummy_hash() -> str:
    """A hash to check a password against when there is no account, so the answer takes as long."""
    return hash_password("a password nobody has")
