from pathlib import Path

import click
from flask.cli import AppGroup

from watchparty.errors import DomainError
from watchparty.extensions import db

reviews_group = AppGroup("reviews", help="Film reviews: import articles.")


@reviews_group.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(slug: str, file: Path):
    """Import the article in FILE as a review of the film SLUG."""
    from watchparty.films.service import film_by_slug
    from watchparty.reviews import service

    film = film_by_slug(slug)
    if film is None:
        raise click.ClickException(f"No film with the slug {slug!r}.")
    try:
        text = service.decode_article(file.read_bytes())
        review, draft = service.import_article(film, text)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    rating = f"{review.rating_value:g}/{review.rating_scale}" if review.rating_value is not None else "none"
    click.echo(f"Imported review {review.id}: {review.title!r}")
    click.echo(f"  author: {review.author or '-'}   source: {review.source_name or '-'}   rating: {rating}")
    reasons = [s.spoiler_reason for s in draft.sections if s.body.strip() or (s.heading or "").strip()]
    for section in review.sections:
        reason = reasons[section.position] if section.position < len(reasons) else None
        flag = (" [spoiler]" + (f" because {reason}" if reason else "")) if section.is_spoiler else ""
        click.echo(f"  section {section.position + 1}: {section.heading or '(no heading)'}{flag}")
    for line in draft.dropped:
        click.echo(f"  dropped ({line.reason}): {line.text}")
    for warning in draft.warnings:
        click.echo(f"  warning: {warning}")
