from flask import Blueprint

bp = Blueprint("films", __name__)
