from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from watchparty import clock
from watchparty.cache import cached_page, signed_in_as
from watchparty.errors import DomainError
from watchparty.extensions import db
from watchparty.films import page as film_pages
from watchparty.films.service import can_edit, film_by_slug
from watchparty.forms import validated
from watchparty.limits import per_client_and_account
from watchparty.reviews import service
from watchparty.reviews.forms import ImportForm, ReviewForm
from watchparty.views import end_reads, refuse, render_form

bp = Blueprint("reviews", __name__)


def film_or_404(slug: str):
    film = film_by_slug(slug)
    if film is None:
        abort(404)
    return film


def film_for_editor(slug: str):
    film = film_or_404(slug)
    if not can_edit(current_user, film):
        abort(403)
    return film


def preview_form(draft) -> ReviewForm:
    data = service.review_input_from_draft(draft)
    return ReviewForm(
        formdata=None,
        title=data.title,
        author=data.author,
        source_name=data.source_name,
        source_url=data.source_url,
        published_on=data.published_on,
        rating_value=data.rating_value,
        rating_scale=data.rating_scale,
        sections=[s.__dict__ for s in data.sections] or [{}],
    )


@bp.route("/<slug>/reviews/import", methods=["GET", "POST"])
@login_required
@per_client_and_account("RATELIMIT_REVIEW_IMPORT")
def import_article(slug):
    film = film_for_editor(slug)
    form = ImportForm()
    if not form.validate_on_submit():
        return render_form("reviews/import.html", form, film=film)
    try:
        upload = form.file.data
        # Read no further than one byte past the limit.
        data = upload.read(service.MAX_ARTICLE_BYTES + 1) if upload and upload.filename else None
        text = service.decode_article(data) if data is not None else form.text.data or ""
        context = service.article_context(film)
        end_reads()  # the parse holds no lock
        draft = service.draft_from_text(context, text)
    except DomainError as error:
        return refuse("reviews/import.html", form, error, film=film)
    return render_template(
        "reviews/preview.html",
        form=preview_form(draft),
        film=film,
        warnings=draft.warnings,
        image_credits=draft.image_credits,
        reasons=[section.spoiler_reason for section in draft.sections],
        dropped=draft.dropped,
    )


@bp.post("/<slug>/reviews")
@login_required
@per_client_and_account("RATELIMIT_REVIEW_SAVE")
def create(slug):
    film = film_for_editor(slug)
    form = ReviewForm()
    if not form.validate_on_submit():
        return render_form("reviews/preview.html", form, film=film, warnings=[], image_credits=[])
    data = service.ReviewInput(
        title=validated(form.title.data),
        author=form.author.data or "",
        source_name=form.source_name.data or "",
        source_url=form.source_url.data or "",
        published_on=form.published_on.data,
        rating_value=float(form.rating_value.data) if form.rating_value.data is not None else None,
        rating_scale=form.rating_scale.data,
        sections=[
            service.SectionInput(entry.heading.data or "", entry.body.data or "", entry.is_spoiler.data)
            for entry in form.sections
        ],
    )
    try:
        end_reads()  # rendering Markdown holds no lock; the save opens the write transaction
        review = service.save_review(film, service.render_review(data), current_user)
    except DomainError as error:
        return refuse("reviews/preview.html", form, error, film=film, warnings=[], image_credits=[])
    db.session.commit()
    flash("Review saved.", "success")
    return redirect(url_for("reviews.detail", slug=film.slug, review_id=review.id))


def party_from_link(film):
    """The party in a review link's `?party=<share token>`, if it is a party of
    this film; anything else (missing, malformed, revoked, another film's) is
    ignored and the page is shown as from the film page."""
    # Imported here: the party page builds on the reviews package, not the reverse.
    from watchparty.party_page import is_token
    from watchparty.rsvp.service import party_by_share_token

    token = request.args.get("party", "")
    if not is_token(token):
        return None
    party = party_by_share_token(token)
    if party is None or party.film_id != film.id:
        return None
    return party


@bp.get("/<slug>/reviews/<int:review_id>")
def detail(slug, review_id):
    from watchparty.party_page import current_viewer

    film_row = film_pages.film_page_row(slug)  # the film with its stamp, which every review write changes
    if film_row is None:
        abort(404)
    # On the film's own pages spoilers stay closed until the reader opens
    # them; opened from a party, the party's rule applies (its reveal time,
    # or this guest's "I've seen it").
    party = party_from_link(film_row)
    spoilers_open = False
    if party is not None:
        spoilers_open = service.spoilers_open(party, current_viewer(party).rsvp, clock.now())

    def render() -> str:
        film = film_or_404(slug)
        review = service.review_for_page(film, review_id)
        if review is None:
            abort(404)
        return render_template(
            "reviews/detail.html", film=film, review=review, party=party, spoilers_open=spoilers_open
        )

    # Kept whole under the film's stamp, as the film page is; opened from a party it
    # shows the party too (not stamped by the film), so it is rendered every time.
    kept = film_row.stamp is not None and party is None
    key = ("reviews/detail.html", film_row.id, film_row.stamp, review_id, signed_in_as()) if kept else None
    return cached_page(key, render)
