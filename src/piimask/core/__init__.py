"""The shared core: taxonomy, records, values, filling, labelling, spans, recognizers, params, io.

Imports nothing from ``pipeline`` or ``runtime``."""
