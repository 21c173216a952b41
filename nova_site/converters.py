"""URL converters."""


class IdConverter:
    """A database id: at most 18 digits, so it always fits a 64-bit column.

    Django's ``int`` converter takes any number of digits, and an id past
    the column's range makes SQLite raise OverflowError instead of finding
    nothing; this one turns such URLs into a plain 404.
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
