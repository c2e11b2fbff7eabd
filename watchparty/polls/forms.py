"""The guest's ballot: name and email through WTForms, the answers per candidate read
from the posted form against the poll's own candidates (they change while it is open)."""

from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Optional

from watchparty.forms import BaseForm, Length, lower, strip
from watchparty.models import Poll
from watchparty.models.poll import DATE_ANSWERS, VOTER_NAME_MAX
from watchparty.parties.forms import LocalDateTimeField
from watchparty.polls.service import Ballot


class VoteForm(BaseForm):
    name = StringField(
        "Your name",
        filters=[strip],
        validators=[DataRequired("Tell the host who you are."), Length(max=VOTER_NAME_MAX)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        "Email (optional)",
        filters=[strip, lower],
        validators=[
            Optional(),
            Length(max=254),
            Email("Enter a valid email address, like name@example.com — or leave it empty."),
        ],
        description="We email you the result, with the event for your calendar. Never shown to other guests.",
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Answers per candidate: "date-<id>" -> yes / maybe / no, as posted (to show again).
        self.date_answers: dict[int, str] = {}
        self.approved: set[int] = set()
        self.seen: set[int] = set()
        # Problems with the answers: "date-<id>" or "films" -> message.
        self.answer_errors: dict[str, str] = {}

    def read_answers(self, poll: Poll, data) -> bool:
        """Read the answers to `poll`'s candidates from the posted form; False (with
        answer_errors) when a date is unanswered or an answer names something else."""
        for date in poll.dates:
            answer = data.get(f"date-{date.id}")
            if answer in DATE_ANSWERS:
                self.date_answers[date.id] = answer
            else:
                self.answer_errors[f"date-{date.id}"] = "Choose yes, if need be, or no."
        film_ids = {film.id for film in poll.films}
        for name, bucket in (("approve", self.approved), ("seen", self.seen)):
            for value in data.getlist(name):
                if not (isinstance(value, str) and value.isdigit() and int(value) in film_ids):
                    self.answer_errors["films"] = "One of those films is no longer in the vote: here are the current ones."
                    continue
                bucket.add(int(value))
        return not self.answer_errors

    def ballot(self) -> Ballot:
        return Ballot(
            name=self.name.data or "", email=self.email.data or None,
            dates=dict(self.date_answers), approved=set(self.approved), seen=set(self.seen),
        )

    def fill_from(self, answers: dict[int, str], approved: set[int], seen: set[int]) -> None:
        self.date_answers, self.approved, self.seen = dict(answers), set(approved), set(seen)

    def error_summary(self) -> list[tuple[str, str, str]]:
        problems = super().error_summary()
        for key, message in self.answer_errors.items():
            problems.append((key if key != "films" else "poll-films", "Films" if key == "films" else "Date", message))
        return problems


class OptionForm(BaseForm):
    """The host adds a film and/or a date to an open vote."""

    film = StringField("Add a film", filters=[strip], validators=[Optional(), Length(max=200)],
                       description="A title from the catalogue, or “Title (Year)”.")
    starts_at = LocalDateTimeField("Add a date", validators=[Optional()],
                                   description="In the party's time zone.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.film.data and self.starts_at.data is None:
            self.film.errors = [*self.film.errors, "Give a film or a date to add."]
            return False
        return valid


class ClosingForm(BaseForm):
    closes_at = LocalDateTimeField("Vote closes at", validators=[Optional()],
                                   description="In the party's time zone; empty: you close it yourself.")
