"""One error shape for every answer the bridge refuses: `{"error": "...", ...details}`."""

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException


def json_error(status: int, message: str, **details):
    response = jsonify({"error": message, **details})
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    """Werkzeug's HTML error pages (404, 405, 413 …) become the JSON shape above."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return json_error(exc.code or 500, exc.description or exc.name)
