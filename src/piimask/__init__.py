"""piimask: synthetic PII-annotated text, a DistilBERT PII tagger, and a masking layer for LLM prompts.

Stages, one module each: ``generate`` -> ``validate``/``label``/``dataset`` -> ``train`` ->
``evaluate`` -> ``mask``; shared core: ``taxonomy``, ``values``, ``fill``, ``record``, ``config``, ``io``.
"""
from .progress import ignore_ipywidgets_hint as _ignore_ipywidgets_hint

__version__ = "0.1.0"

_ignore_ipywidgets_hint()
