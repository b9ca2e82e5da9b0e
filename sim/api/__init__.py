"""The Python API's implementation: experiments returning result objects of one shape.

The public names are those of ``sim/__init__.py`` (``import sim``); this layer sits
above ``workshop`` and below ``cli``, which calls the same functions.
"""
