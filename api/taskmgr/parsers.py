"""JSON parser that turns pathologically nested input into a 400 instead of a 500."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

TOO_DEEPLY_NESTED = "JSON parse error - the document is nested too deeply."


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEPLY_NESTED) from None
