from flask import Blueprint, Response, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from watchparty import cards
from watchparty.extensions import db
from watchparty.links import public_url

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return render_template("main/index.html")


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return "unavailable", 503, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/card.png")
def card() -> Response:
    """The landing page's link-preview picture."""
    return cards.card_response(cards.site_card(), "public, max-age=3600")


@bp.app_template_global()
def site_card_url() -> str:
    return public_url("main.card", v=cards.card_version(cards.site_card())[:12])


# Search engines index the catalogue and the film pages. Party pages and their manage
# links (/p/), the hosts' dashboards (/parties/) and accounts stay out — but the link
# previewers, which fetch a shared link for the people in a chat (and some of which obey
# robots.txt), may read a party page and its card. A manage link is never previewed.
ROBOTS = """\
User-agent: Twitterbot
User-agent: facebookexternalhit
User-agent: Facebot
User-agent: Slackbot-LinkExpanding
User-agent: Discordbot
User-agent: TelegramBot
User-agent: LinkedInBot
User-agent: WhatsApp
Disallow: /parties/
Disallow: /accounts/
Disallow: /p/*/rsvp/
Allow: /

User-agent: *
Disallow: /p/
Disallow: /parties/
Disallow: /accounts/
Disallow: /films/new
Disallow: /films/*/edit
Disallow: /films/*/reviews/import
Allow: /
"""


@bp.get("/robots.txt")
def robots() -> Response:
    return Response(ROBOTS, content_type="text/plain; charset=utf-8", headers={"Cache-Control": "public, max-age=86400"})
