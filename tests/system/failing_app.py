"""The real app plus one route that fails, to see the production 500 page through gunicorn.

    gunicorn 'tests.system.failing_app:create_app()'

Every input of the real app is meant to be handled, so no request can make it
fail on purpose; this route stands in for the bug nobody has found yet.
"""

import watchparty

FAILING_PATH = "/system-test/fail"
SECRET_DETAIL = "secret internals of a failing view"


def create_app():
    app = watchparty.create_app()

    @app.get(FAILING_PATH)
    def fail():
        raise RuntimeError(SECRET_DETAIL)

    return app
