"""piimask: synthetic PII-annotated text, a DistilBERT PII tagger, and a masking layer for LLM prompts.

Three floors (ARCHITECTURE.md): ``piimask.core`` (taxonomy, records, values, filling, labelling,
spans, recognizers, params, io), ``piimask.pipeline`` (generate -> validate/label -> train ->
evaluate -> report: the lab) and ``piimask.runtime`` (the tagger, the Masker, the LLM client, the
Lambda handler and the demo: what a user deploys; it imports only ``core``).

``from piimask import Masker`` is a shortcut for ``piimask.runtime.mask.Masker``.
"""

from .core.progress import ignore_ipywidgets_hint as _ignore_ipywidgets_hint

__version__ = "0.1.0"
__all__ = ["Masker", "unmask", "__version__"]

_ignore_ipywidgets_hint()


def __getattr__(name: str):
    # lazy: importing piimask does not load torch or transformers
    if name in ("Masker", "unmask"):
        from .runtime import mask

        return getattr(mask, name)
    raise AttributeError(f"module 'piimask' has no attribute {name!r}")
