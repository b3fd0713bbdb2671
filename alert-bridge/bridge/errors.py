"""One error shape for every answer the bridge refuses, the API's: `{"detail": "..."}`,
plus `"field"` naming the offending part when one field of the input is wrong."""

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException


def json_error(status: int, message: str, **details):
    """`details` (e.g. `field=`) join the body; None values are left out."""
    body = {"detail": message, **{k: v for k, v in details.items() if v is not None}}
    response = jsonify(body)
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    """Werkzeug's HTML error pages (404, 405, 413 …) become the JSON shape above."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return json_error(exc.code or 500, exc.description or exc.name)
