"""Token tagging with a fine-tuned model: batched, in overlapping windows, nothing truncated.

A text longer than ``window`` tokens is cut into windows of ``window`` tokens that overlap by
``stride``; each token's class probabilities are averaged over the windows that contain it, so an
entity at the end of a 5,000-token text is tagged like one at the start. Used by the evaluate
stage and by the Masker.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .label import entities_from_bio


@dataclass
class TaggedText:
    text: str
    offsets: list[tuple[int, int]]  # one per token, sorted
    labels: list[str]  # BIO label per token (repaired: an orphan I-X starts an entity)
    scores: list[float]  # probability of the chosen label per token

    def entities(self) -> list[dict]:
        """Character spans {start, end, label, score} from the token labels."""
        out = []
        for label, a, b in entities_from_bio(self.labels):
            s, e = self.offsets[a][0], self.offsets[b - 1][1]
            out.append({"start": s, "end": e, "label": label, "score": float(np.mean(self.scores[a:b])),
                        "source": "model"})
        return out


class TokenTagger:
    def __init__(self, model_dir: str | Path, window: int = 256, stride: int = 64, batch_size: int = 32,
                 device: str | None = None, model=None, tokenizer=None, int8: bool = False,
                 runtime: str = "torch"):
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        from .config import resolve_model

        name = resolve_model(str(model_dir))
        self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(name)
        self.model = model or AutoModelForTokenClassification.from_pretrained(name)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        if int8:  # dynamic int8 quantization of the Linear layers: the fast CPU path
            if self.device != "cpu":
                raise ValueError("int8 dynamic quantization runs on the CPU; use device='cpu'")
            self.model = quantize_int8(self.model)
        self.id2label = {int(k): v for k, v in self.model.config.id2label.items()}
        limit = getattr(self.model.config, "max_position_embeddings", 512)
        self.window = min(window, limit)
        self.stride = min(stride, self.window // 2)
        self.batch_size = batch_size
        self.runtime = runtime
        self._session = None
        if runtime == "onnx":
            self._session = onnx_session(export_onnx(self.model, name))
        elif runtime != "torch":
            raise ValueError(f"runtime must be 'torch' or 'onnx', not {runtime!r}")

    def _forward(self, batch: dict) -> np.ndarray:
        import torch

        if self._session is not None:
            feeds = {k: np.asarray(v, dtype=np.int64) for k, v in batch.items()}
            logits = self._session.run(["logits"], feeds)[0]
            e = np.exp(logits - logits.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)

        with torch.inference_mode():
            inputs = {k: torch.as_tensor(v).to(self.device) for k, v in batch.items()}
            logits = self.model(**inputs).logits.float()
            return torch.softmax(logits, dim=-1).cpu().numpy()

    def tag(self, texts: Sequence[str]) -> list[TaggedText]:
        """Tag many texts: windows of all texts are batched together."""
        texts = list(texts)
        if not texts:
            return []
        enc = self.tokenizer(texts, truncation=True, max_length=self.window, stride=self.stride,
                             return_overflowing_tokens=True, return_offsets_mapping=True,
                             return_special_tokens_mask=True, padding=False)
        n_windows = len(enc["input_ids"])
        sample = enc["overflow_to_sample_mapping"] if "overflow_to_sample_mapping" in enc else list(range(n_windows))
        # per text: token (start, end) -> summed probabilities and count
        acc: list[dict[tuple[int, int], np.ndarray]] = [dict() for _ in texts]
        cnt: list[dict[tuple[int, int], int]] = [dict() for _ in texts]
        order = sorted(range(n_windows), key=lambda i: len(enc["input_ids"][i]))  # less padding
        keys = [k for k in ("input_ids", "attention_mask") if k in enc]
        for b in range(0, n_windows, self.batch_size):
            idx = order[b:b + self.batch_size]
            width = max(len(enc["input_ids"][i]) for i in idx)
            batch = {}
            for k in keys:
                pad = self.tokenizer.pad_token_id if k == "input_ids" else 0
                batch[k] = np.array([list(enc[k][i]) + [pad] * (width - len(enc[k][i])) for i in idx])
            probs = self._forward(batch)
            for row, i in enumerate(idx):
                t = sample[i]
                for j, ((s, e), sp) in enumerate(zip(enc["offset_mapping"][i], enc["special_tokens_mask"][i])):
                    if sp or e <= s:
                        continue
                    key = (s, e)
                    if key in acc[t]:
                        acc[t][key] = acc[t][key] + probs[row, j]
                        cnt[t][key] += 1
                    else:
                        acc[t][key] = probs[row, j].copy()
                        cnt[t][key] = 1
        out = []
        for t, text in enumerate(texts):
            offsets = sorted(acc[t])
            labels, scores = [], []
            for key in offsets:
                p = acc[t][key] / cnt[t][key]
                k = int(np.argmax(p))
                labels.append(self.id2label[k])
                scores.append(float(p[k]))
            out.append(TaggedText(text, offsets, repair(word_consistent(text, offsets, labels)), scores))
        return out


def word_consistent(text: str, offsets: list[tuple[int, int]], labels: list[str]) -> list[str]:
    """Sub-words of one word continue the entity its first sub-word starts.

    Two tokens belong to one word when the second starts where the first ends and the characters
    on both sides of the join are letters or digits. A word whose first piece is O keeps its
    predictions (a value glued to a word, such as "card4111...", is still found).
    """
    out = list(labels)
    for j in range(1, len(out)):
        (ps, pe), (s, e) = offsets[j - 1], offsets[j]
        if s == pe and pe > ps and e > s and text[pe - 1].isalnum() and text[s].isalnum() and out[j - 1] != "O":
            out[j] = "I-" + out[j - 1][2:]
    return out


def repair(tags: list[str]) -> list[str]:
    """An ``I-X`` that does not continue an X entity starts one (``B-X``)."""
    out, prev = [], "O"
    for t in tags:
        if t.startswith("I-") and prev[2:] != t[2:]:
            t = "B-" + t[2:]
        out.append(t)
        prev = t
    return out


def quantize_int8(model):
    """Dynamic int8 quantization of every Linear layer (weights int8, activations quantized on the fly)."""
    import torch

    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError:  # older torch
        from torch.quantization import quantize_dynamic
    return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8).eval()


def export_onnx(model, model_dir: str | Path, path: str | Path | None = None) -> Path:
    """Export the token classifier to ONNX (dynamic batch and length), once; returns the file."""
    import torch

    path = Path(path) if path else Path(model_dir) / "onnx" / "model.onnx"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    dummy = {"input_ids": torch.ones(2, 16, dtype=torch.long), "attention_mask": torch.ones(2, 16, dtype=torch.long)}
    model = model.float().eval()
    torch.onnx.export(model, (), str(path), kwargs=dummy, input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                    "logits": {0: "batch", 1: "seq"}})
    return path


def onnx_session(path: str | Path):
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ImportError("the ONNX path needs onnxruntime: pip install 'piimask[fast]'") from exc
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
