"""How long POST /accounts/reset takes for an address with an account and one
without, interleaved, through the Flask test client on a fresh SQLite file:
the answer must not tell them apart (issue #17). Prints the medians.

    .venv/bin/python bench/reset_timing.py [requests per address, default 300]
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(count: int) -> None:
    from watchparty import create_app
    from watchparty.accounts.registration import register_user
    from watchparty.config import Config
    from watchparty.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="watchparty-reset-timing-"))
    config = Config(workdir, environ={"RATELIMIT_ENABLED": "false"})
    config.WTF_CSRF_ENABLED = False
    app = create_app(config)
    with app.app_context():
        db.create_all()
        register_user("known@example.com", "Known", "a long enough password")
        db.session.commit()
    client = app.test_client()
    times: dict[str, list[float]] = {"known@example.com": [], "nobody@example.com": []}
    for _ in range(count):
        for address, samples in times.items():
            started = time.perf_counter()
            response = client.post("/accounts/reset", data={"email": address})
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 302
    for address, samples in times.items():
        print(f"{address}: median {statistics.median(samples):.2f} ms, "
              f"p90 {statistics.quantiles(samples, n=10)[-1]:.2f} ms over {count}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
