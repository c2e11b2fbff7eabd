from flask import Blueprint

bp = Blueprint("rsvp", __name__)
