class IdConverter:
    """A database id in a path: at most 18 digits, so it always fits a bigint."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)
