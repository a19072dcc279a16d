"""The one record type every stage passes on: the 200k schema plus piimask's metadata."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from dataclasses import field as _field  # `field` is also a column name (the topic)


@dataclass
class Record:
    # -- the ai4privacy/pii-masking-200k schema
    id: str
    source_text: str
    target_text: str = ""
    privacy_mask: list[dict] = _field(default_factory=list)
    span_labels: list[list] = _field(default_factory=list)
    mbert_text_tokens: list[str] = _field(default_factory=list)  # tokens of `tokenizer`
    mbert_bio_labels: list[str] = _field(default_factory=list)
    language: str = "en"
    set: str = ""
    # -- piimask metadata
    field: str = ""
    style: str = ""
    backend: str = ""
    model_id: str = ""
    template_id: str = ""
    prompt_hash: str = ""
    example_id: str = ""
    request_id: str = ""
    seed: int | None = None
    tokenizer: str = ""
    reject_reasons: list[str] = _field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain JSON-able dict; ``span_labels`` as a JSON string, as in the 200k dataset."""
        d = asdict(self)
        d["span_labels"] = json.dumps(self.span_labels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Record:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in known}
        if isinstance(kwargs.get("span_labels"), str):
            kwargs["span_labels"] = json.loads(kwargs["span_labels"])
        for key in ("privacy_mask", "mbert_text_tokens", "mbert_bio_labels", "reject_reasons", "span_labels"):
            if kwargs.get(key) is None:
                kwargs[key] = []
            elif not isinstance(kwargs[key], list):  # numpy arrays from parquet
                kwargs[key] = [
                    dict(x) if hasattr(x, "keys") else (list(x) if not isinstance(x, str) else x) for x in kwargs[key]
                ]
        kwargs["id"] = str(kwargs.get("id", ""))
        return cls(**kwargs)

    @property
    def accepted(self) -> bool:
        return not self.reject_reasons
