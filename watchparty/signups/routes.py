"""Adding items, claiming and releasing them, from the party page (/p/<token>/…)."""

from flask import Blueprint

bp = Blueprint("signups", __name__)
