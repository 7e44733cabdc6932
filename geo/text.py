"""Text from outside (requests, uploads, layers folders): what both stores can hold.

PostgreSQL refuses the NUL character (U+0000) in text, and neither store can encode a lone
surrogate (which a JSON escape such as ``\\ud800`` or an undecodable file name makes). Such text
is refused where it comes in, with a problem naming the field, so that both stores answer the
same: the API checks every path and query parameter and header
(:func:`geo.api.dependencies.refuse_bad_text`) and the text fields of its JSON bodies
(:data:`geo.api.models.Text`), uploads check their file name, and layer checks
(:func:`geo.layers.validate_layers`) every text attribute of a feature.
"""

from __future__ import annotations

from geo.errors import InvalidInput


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (one phrase), or None when it can.

    Examples
    --------
    >>> text_problem("squad-01") is None
    True
    >>> text_problem("a\\x00b")
    'contains a NUL character (\\\\x00)'
    """
    if "\x00" in value:
        return "contains a NUL character (\\x00)"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode text (a lone surrogate)"
    return None


def check_text(value: str, field: str) -> str:
    """``value`` unchanged, or :class:`InvalidInput` naming ``field`` and the problem.

    Parameters
    ----------
    value
        The text as received.
    field
        What it is, as the user wrote it: ``"device"``, ``"header Idempotency-Key"``.
    """
    problem = text_problem(value)
    if problem:
        raise InvalidInput(f"{field} {problem}; send text without it", place=field)
    return value
