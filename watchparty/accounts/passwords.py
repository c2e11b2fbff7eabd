"""How guessable a password is: zxcvbn's estimate, and the owner's own words.

accounts.service.check_password_rule is the rule; this module only measures.
"""

import re
import threading
from collections.abc import Iterable

from zxcvbn import zxcvbn

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
