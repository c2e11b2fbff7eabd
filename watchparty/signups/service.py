"""Sign-up rules: items, claims, and what is still needed."""


def signup_board(party, viewer, now):
    """What the party page shows of the sign-up list (built in the sign-up issue)."""
    return None


def signup_overview(party):
    """What the host's dashboard shows of the sign-up list (built in the sign-up issue)."""
    return None
