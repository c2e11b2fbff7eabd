"""`flask films import FILE.json` and `flask films export [-o FILE]` (format: docs/films-json.md)."""

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from watchparty.extensions import db

films_group = AppGroup("films", help="The film catalogue: import, export and approving films hosts added.")


@films_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--owner", metavar="EMAIL", help="Account that may edit the films this creates (default: admins only).")
def import_command(file: Path, owner: str | None):
    """Create or update films from a JSON file, all or nothing."""
    from watchparty.accounts.service import user_by_email
    from watchparty.films import data, transfer

    try:
        payload = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"{file} is not valid UTF-8 JSON: {error}") from None
    created_by = None
    if owner:
        created_by = user_by_email(owner)
        if created_by is None:
            raise click.ClickException(f"No account has the email address {owner}.")
    try:
        result = transfer.import_films(payload, created_by=created_by)
    except data.FilmDataError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.message} Nothing was imported.") from None
    db.session.commit()
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(
        f"Imported {file.name}: {len(result.created)} new, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged."
    )


@films_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def export_command(output: Path | None):
    """Write every film as JSON (the format `flask films import` reads)."""
    from watchparty.films import transfer

    payload = transfer.export_films()
    text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {len(payload['films'])} films to {output}.", err=True)


@films_group.command("import-posters")
@click.option("--from", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of poster files (default: this instance's uploads/posters).")
def import_posters_command(folder: Path | None):
    """Copy posters this server kept as files into the database (run on every
    server that took uploads before posters moved there; safe to run again)."""
    from watchparty.films import posters

    folder = folder or posters.legacy_posters_dir()
    copied, present = posters.import_legacy_posters(folder)
    click.echo(f"{folder}: {copied} posters copied into the database, {present} were there already.")


@films_group.command("unlisted")
def unlisted_command() -> None:
    """List the films hosts added for their parties that the public catalogue does not show yet."""
    from watchparty.films import service

    films = service.unlisted_films()
    for film in films:
        click.echo(f"{film.slug}\t{film.title} ({film.year})")
    click.echo(f"{len(films)} film{'s' if len(films) != 1 else ''} waiting to be listed.", err=True)


@films_group.command("approve")
@click.argument("slugs", nargs=-1, required=True)
def approve_command(slugs: tuple[str, ...]) -> None:
    """List films a host added for a party in the public catalogue (an admin's approval)."""
    from watchparty.films import service

    for slug in slugs:
        film = service.film_by_slug(slug)
        if film is None:
            db.session.rollback()
            raise click.ClickException(f"No film has the slug {slug}. Nothing was approved.")
        service.approve_film(film)
    db.session.commit()
    click.echo(f"Approved {len(slugs)} film{'s' if len(slugs) != 1 else ''}: now in the public catalogue.")
