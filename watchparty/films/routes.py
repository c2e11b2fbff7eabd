from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from markupsafe import Markup

from watchparty import cards
from watchparty.cache import cached, cached_page, signed_in_as
from watchparty.errors import DomainError
from watchparty.extensions import db, limiter
from watchparty.films import data, lines, matching, posters, service
from watchparty.films import page as film_pages
from watchparty.films import search as film_search
from watchparty.films.forms import FilmForm
from watchparty.limits import per_client_and_account
from watchparty.links import public_url
from watchparty.models import Film
from watchparty.security import is_safe_redirect
from watchparty.views import refuse, render_form

bp = Blueprint("films", __name__)

POSTER_MAX_AGE = 31_536_000  # a year: a stored poster's name changes whenever its content does
GENERATED_POSTER_MAX_AGE = 86_400
FILM_CARD_CACHE = "public, max-age=3600"  # then revalidated by ETag: a 304 while the film is unchanged
MAX_PAGE = 10_000


@bp.app_template_global()
def film_poster_url(film, external: bool = False) -> str:
    """The uploaded poster of a film, or its generated SVG."""
    build = public_url if external else url_for
    if film.poster_filename:
        return build("films.poster_file", filename=film.poster_filename)
    return build("films.generated_poster", slug=film.slug)


@bp.app_template_global()
def film_card_url(film: cards.FilmLike) -> str:
    """The film's link-preview card on the public address (`film`: the Film or the
    film page's row); `v` changes with what the card shows."""
    return public_url("films.card", slug=film.slug, v=cards.card_version(cards.film_card(film))[:12])


@bp.app_template_filter("runtime")
def runtime_filter(minutes: int | None) -> str:
    return data.format_runtime(minutes)


def film_or_404(slug: str, details: bool = False):
    film = service.film_by_slug(slug, details=details)
    if film is None:
        abort(404)
    return film


def editable_film_or_404(slug: str):
    film = film_or_404(slug, details=True)
    if not service.can_edit(current_user, film):
        abort(403)
    return film


@bp.get("/")
def index():
    q = film_search.clean_query(request.args.get("q"))
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    is_admin = bool(current_user.is_authenticated and current_user.is_admin)
    # Admins see every film; `?unlisted=1` narrows it to those hosts added that wait for approval.
    unlisted = is_admin and request.args.get("unlisted") == "1"
    pagination = db.paginate(
        film_search.search_films(q, current_user, unlisted_only=unlisted),
        page=page,
        per_page=film_search.PER_PAGE,
        max_per_page=None,
    )
    waiting = service.count_unlisted_films() if is_admin else 0
    return render_template(
        "films/index.html", pagination=pagination, q=q, is_admin=is_admin, unlisted=unlisted, waiting=waiting
    )


SEARCH_MIN_CHARS = 2


@bp.get("/search")
@limiter.limit(lambda: current_app.config["RATELIMIT_FILM_SEARCH"])
def search() -> ResponseReturnValue:
    """The film picker's results as JSON, best first: what the person may pick (the public
    catalogue and the films they added). Refuses control characters and over-long queries."""
    q = request.args.get("q", "")
    if len(q) > matching.QUERY_MAX or film_search.has_control_characters(q):
        return jsonify(results=[], error="Type a shorter film title, without control characters."), 400
    results = []
    if len(q.strip()) >= SEARCH_MIN_CHARS:
        results = [
            {
                "slug": match.film.slug,
                "title": match.film.title,
                "year": match.film.year,
                "label": match.label,
                "poster": film_poster_url(match.film),
            }
            for match in matching.search(q, film_search.visible_films(current_user))
        ]
    # Private, like every answer not listed in security.set_cache_policy: a host also finds their own films.
    return jsonify(results=results)


@dataclass(frozen=True)
class FilmPageParts:
    """The film page's rendered parts: the same for every reader who may (or may not) edit the film."""

    description: str
    meta: Markup
    content: Markup


def _film_page_parts(source: film_pages.FilmPageSource, can_edit: bool) -> FilmPageParts:
    page = film_pages.film_page_from(source)
    context = {"page": page, "can_edit": can_edit}
    return FilmPageParts(
        description=page.description,
        meta=Markup(render_template("films/_detail_meta.html", **context)),  # noqa: S704 - autoescaped
        content=Markup(render_template("films/_detail_content.html", **context)),  # noqa: S704 - autoescaped
    )


@bp.get("/<slug>")
def detail(slug):
    film = film_pages.film_page_row(slug)
    if film is None:
        abort(404)
    can_edit = service.can_edit(current_user, film)

    def render() -> str:
        source = film_pages.film_page_source(film)
        # Keyed by every row the page shows (see watchparty.cache): an edit anywhere changes the key.
        parts = cached(("films/detail.html", source, can_edit), lambda: _film_page_parts(source, can_edit))
        return render_template("films/detail.html", film=film, parts=parts)

    # The whole page, kept under the film's stamp for each reader.
    key = ("films/detail.html", film.id, film.stamp, can_edit, signed_in_as()) if film.stamp is not None else None
    return cached_page(key, render)


def _after_new_film(film) -> str:
    """Back to where the film was missing (the party form's "Add … to the
    catalogue" passes `next`), with the new film chosen; else its page."""
    target = request.args.get("next")
    if not is_safe_redirect(target):
        return url_for("films.detail", slug=film.slug)
    parts = urlsplit(target)
    kept = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != "film"]
    query = [*kept, ("film", film.slug)]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def _for_a_party() -> bool:
    """Added from the party form's "Or add … with all its details" (it comes back there): like a
    film added on the party form itself, it is listed once it has a synopsis (Film.is_listed)."""
    target = request.args.get("next") or ""
    return is_safe_redirect(target) and urlsplit(target).path.startswith("/parties/")


def _no_poster_sent() -> bool:
    upload = request.files.get("poster")
    return upload is None or not upload.filename


# Decoding an image is the heaviest thing a form here does: uploads are limited, other saves not.
limit_poster_uploads = per_client_and_account("RATELIMIT_POSTER_UPLOAD", exempt_when=_no_poster_sent)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@limit_poster_uploads
def new():
    form = FilmForm()
    if request.method == "GET":
        form.title.data = request.args.get("title", "").strip()[: data.TITLE_MAX]
    if form.validate_on_submit():
        try:
            film = service.add_film(
                form.film_data(),
                created_by=current_user,
                poster=form.poster_bytes(),
                added_for_party=_for_a_party(),
                different_film=form.different_film.data,
            )
        except service.FilmMayBeThere as maybe:
            # Each choice leads where the new film would have: back to the party form with it chosen.
            choices = [FilmChoice(match.label, match.film, _after_new_film(match.film)) for match in maybe.matches]
            form.different_film.data = False
            return refuse("films/form.html", form, maybe, film=None, film_choices=choices, exact_match=maybe.exact)
        except DomainError as error:
            return refuse("films/form.html", form, error, film=None)
        db.session.commit()
        flash(f"{film.title} is in the catalogue.", "success")
        return redirect(_after_new_film(film))
    return render_form("films/form.html", form, film=None)


@dataclass(frozen=True)
class FilmChoice:
    """A film already there that the film form offers instead of a new one."""

    label: str
    film: Film
    url: str


@bp.post("/<slug>/approve")
@login_required
def approve(slug: str) -> ResponseReturnValue:
    """An admin lists a film a host added for a party in the public catalogue."""
    if not current_user.is_admin:
        abort(403)
    film = film_or_404(slug)  # CSRFProtect has checked the form's token already
    service.approve_film(film)
    db.session.commit()
    flash(f"{film.title} ({film.year}) is in the public catalogue now.", "success")
    target = request.args.get("next")
    return redirect(target if target and is_safe_redirect(target) else url_for("films.index", unlisted=1))


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
@limit_poster_uploads
def edit(slug):
    film = editable_film_or_404(slug)
    form = FilmForm(data=lines.film_form_values(film))
    if form.validate_on_submit():
        try:
            service.update_film(film, form.film_data(), poster=form.poster_bytes(), remove_poster=form.remove_poster.data)
        except DomainError as error:
            return refuse("films/form.html", form, error, film=film)
        db.session.commit()
        flash("Film saved.", "success")
        return redirect(url_for("films.detail", slug=film.slug))
    return render_form("films/form.html", form, film=film)


@bp.get("/posters/<filename>")
def poster_file(filename):
    poster = posters.stored_poster(filename)
    if poster is None:
        abort(404)
    response = make_response(poster.data)
    response.mimetype = poster.content_type
    response.headers["Cache-Control"] = f"public, max-age={POSTER_MAX_AGE}, immutable"
    # A name is never reused for other bytes: it is the ETag, and a revalidation is a 304.
    response.set_etag(filename)
    return response.make_conditional(request)


@bp.get("/<slug>/poster.svg")
def generated_poster(slug):
    film = film_or_404(slug)
    response = make_response(posters.generated_poster_svg(film.title, film.year))
    response.mimetype = "image/svg+xml"
    # The URL stays when the title changes, so cache for a day, then revalidate by ETag.
    response.headers["Cache-Control"] = f"public, max-age={GENERATED_POSTER_MAX_AGE}"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/<slug>/card.png")
def card(slug: str) -> Response:
    """The film page's link-preview picture (og:image), PNG 1200 x 630."""
    return cards.card_response(cards.film_card(film_or_404(slug)), FILM_CARD_CACHE)
