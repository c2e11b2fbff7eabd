"""Domain errors raised by services, and the site's error pages."""

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from watchparty.extensions import db


class DomainError(Exception):
    """A rule said no. Views show `message` beside `field` with `status`."""

    status = 409
    field: str | None = None
    # Further problems found at the same time (a form checked as a whole): each shown beside its field.
    others: tuple["DomainError", ...] = ()

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class NotAllowed(DomainError):
    status = 403


ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Too large",
    429: "Slow down",
    500: "Something went wrong",
    503: "Back in a moment",
}


def render_error(status: int, detail: str | None = None):
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=ERROR_TITLES.get(status, "Error"), detail=detail), status
    template = f"errors/{status}.html" if status in (400, 403, 404, 429, 500, 503) else "errors/error.html"
    return (
        render_template(template, status=status, title=ERROR_TITLES.get(status, "Error"), detail=detail),
        status,
    )


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "This form has expired or did not come from this site. Go back, reload and try again.")

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # A Host outside TRUSTED_HOSTS: no page of ours can be built for it (no URL
        # adapter without a trusted host), and the sender deserves none.
        return "Bad request: unknown host.\n", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        if error.code >= 500:
            db.session.rollback()
        return render_error(error.code)

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        # The database went away (restart, failover): say so briefly and let
        # pool_pre_ping reconnect on the next request.
        app.logger.warning("database unavailable: %s", error.orig)
        db.session.rollback()
        response, status = render_error(503)
        return response, status, {"Retry-After": "5"}

    @app.teardown_appcontext
    def end_database_session(error):
        # Runs before Flask-SQLAlchemy's own teardown (registered earlier). A
        # request that only read keeps its transaction open until here; if the
        # database went away meanwhile, the closing ROLLBACK fails although the
        # response is already good. The dead connection is dropped either way,
        # so log it instead of letting gunicorn turn the page into a 500.
        try:
            db.session.remove()
        except OperationalError as failure:
            app.logger.warning("database unavailable at the end of a request: %s", failure.orig)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        app.logger.exception("unhandled error", exc_info=error)
        db.session.rollback()
        return render_error(InternalServerError.code)
