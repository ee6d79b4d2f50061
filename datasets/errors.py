"""The one exception the data layer raises."""


class DatasetError(Exception):
    """Something is wrong with the data; ``str(err)`` is one line meant for the user.

    The CLI prints it as is, so every message says what went wrong and what to do next.
    """
