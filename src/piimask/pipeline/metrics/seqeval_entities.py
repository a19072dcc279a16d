"""Entity-level precision, recall and F1 (seqeval, strict IOB2) as an ``evaluate`` metric.

The hub's ``seqeval`` metric script cannot be fetched offline; this module computes the same
scores with the installed seqeval package and is loaded with ``evaluate.load(<this file>)``.
"""

import datasets
import evaluate
from seqeval.metrics import accuracy_score, classification_report
from seqeval.scheme import IOB2

_DESCRIPTION = "Entity-level precision/recall/F1 per class and micro/macro averages (seqeval, strict IOB2)."


class SeqevalEntities(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description="lists of BIO tag sequences",
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("string")),
                    "references": datasets.Sequence(datasets.Value("string")),
                }
            ),
        )

    def _compute(self, predictions, references, strict: bool = True):
        kw = {"mode": "strict", "scheme": IOB2} if strict else {}
        report = classification_report(references, predictions, output_dict=True, zero_division=0, **kw)
        out = {}
        for name, scores in report.items():
            key = {"micro avg": "micro", "macro avg": "macro", "weighted avg": "weighted"}.get(name, name)
            out[key] = {
                "precision": float(scores["precision"]),
                "recall": float(scores["recall"]),
                "f1": float(scores["f1-score"]),
                "number": int(scores["support"]),
            }
        out["overall_precision"] = out.get("micro", {}).get("precision", 0.0)
        out["overall_recall"] = out.get("micro", {}).get("recall", 0.0)
        out["overall_f1"] = out.get("micro", {}).get("f1", 0.0)
        out["overall_accuracy"] = float(accuracy_score(references, predictions))
        return out
