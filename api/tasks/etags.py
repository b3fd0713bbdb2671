"""A task's entity tag and the conditional request headers (RFC 9110 §8.8.3, §13.1).

The tag is strong and is the task's version, which every write increments; it does not
depend on the representation's bytes, so computing it costs nothing. If-Match compares
strongly (a weak tag never matches), If-None-Match weakly, as §13.1.1-2 require.
"""

import re

from tasks.models import Task

IF_MATCH, IF_NONE_MATCH = "If-Match", "If-None-Match"
ETAGS_INVALID = '{header} must be "*" or a comma-separated list of entity tags ("3", W/"3").'
# entity-tag = [ W/ ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text
_ENTITY_TAG = re.compile(r'[ \t,]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?=,|$)')
ANY = "*"  # what parse() returns for "*": any current task matches


def etag_for(task: Task) -> str:
    return f'"{task.version}"'


def parse(header: str, value: str) -> list[tuple[bool, str]] | str:
    """[(weak, opaque tag), ...], or ANY for "*"; ValueError naming the header when neither."""
    if value.strip() == "*":
        return ANY
    tags, position = [], 0
    while value[position:].strip(" \t,"):
        match = _ENTITY_TAG.match(value, position)
        if match is None:
            raise ValueError(ETAGS_INVALID.format(header=header))
        tags.append((bool(match[1]), f'"{match[2]}"'))
        position = match.end()
    if not tags:
        raise ValueError(ETAGS_INVALID.format(header=header))
    return tags


def strong_match(tags: list[tuple[bool, str]] | str, etag: str) -> bool:
    return tags == ANY or any(not weak and tag == etag for weak, tag in tags)


def weak_match(tags: list[tuple[bool, str]] | str, etag: str) -> bool:
    return tags == ANY or any(tag == etag for _weak, tag in tags)
