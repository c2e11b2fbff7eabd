"""Polls (#23): a party whose film and/or date are left to a vote of its guests.

How an undecided party is kept: the party exists from the start (its share link
works, the page shows the poll), with `Party.undecided` set while its poll is
open. Its `film_id` and `starts_at` are required columns, so they hold the first
candidate film and the latest candidate date, and nothing presents them: the
party clock gives an undecided party no start, no deadline and no end
(watchparty.party_clock), replies and sign-ups wait, reminders and the morning
after skip it, cards and the .ics say nothing about a date or film. Closing the
poll writes the winners into the party and clears the flag, in one transaction;
a tie the rules cannot break closes the vote but leaves the party undecided until
the host picks (closing.pick_winners).

Films are chosen by approval voting, dates by most "yes" then most "if need be";
a tie the rules cannot break goes to the host (watchparty.polls.tally).

The poll row is where votes and the close meet: each vote bumps
`votes_version` with `… WHERE closed_at IS NULL` before writing its answers,
and the close sets `closed_at` with the same guard before counting. On
PostgreSQL the two UPDATEs lock the row, so a vote either commits before the
close counts (and is counted) or finds the poll closed (and is refused); SQLite
has a single writer. Either way a vote is counted exactly once or refused.

The verbs live in one module each, and this module is their public face (routes, the
party page and parties.service import it): errors, candidates (the party form's part
and the host's changes), voting, tally (reading and the rules) and closing.
"""

from watchparty.polls.candidates import (
    MAX_DAYS_AHEAD,
    CheckedPoll,
    PollFields,
    add_date,
    add_film,
    add_options,
    change_closing,
    check_poll,
    nominate,
    open_poll,
    remove_candidate,
)
from watchparty.polls.closing import Decision, close_due_polls, close_poll, confirm_going, pick_winners
from watchparty.polls.errors import DuplicateVoter, InvalidPoll, InvalidVote, PollClosed, PollFull
from watchparty.polls.tally import (
    ANSWER_LABELS,
    DateTally,
    FilmTally,
    PollResults,
    decided_note,
    poll_of,
    poll_results,
    vote_by_token,
    vote_rows,
    winning_date,
    winning_film,
)
from watchparty.polls.voting import Ballot, cast_vote, check_ballot, stop_emails, stop_url, vote_url

__all__ = [
    "ANSWER_LABELS",
    "MAX_DAYS_AHEAD",
    "Ballot",
    "CheckedPoll",
    "DateTally",
    "Decision",
    "DuplicateVoter",
    "FilmTally",
    "InvalidPoll",
    "InvalidVote",
    "PollClosed",
    "PollFields",
    "PollFull",
    "PollResults",
    "add_date",
    "add_film",
    "add_options",
    "cast_vote",
    "change_closing",
    "check_ballot",
    "check_poll",
    "close_due_polls",
    "close_poll",
    "confirm_going",
    "decided_note",
    "nominate",
    "open_poll",
    "pick_winners",
    "poll_of",
    "poll_results",
    "remove_candidate",
    "stop_emails",
    "stop_url",
    "vote_by_token",
    "vote_rows",
    "vote_url",
    "winning_date",
    "winning_film",
]
