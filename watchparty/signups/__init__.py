"""The snack and drink sign-up: items the night needs, and who brings them."""


def __getattr__(name: str):
    # The blueprint is imported on first use, not with the package: the RSVP
    # views import signups.service, and signups.routes imports the RSVP views,
    # so an eager import here would make the two packages import each other.
    if name == "bp":
        from watchparty.signups.routes import bp

        return bp
    raise AttributeError(name)

