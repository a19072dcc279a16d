"""The offline base model is an exact conversion of the packaged MiniLM-L6 BERT encoder."""

import torch
from transformers import AutoModelForTokenClassification, AutoTokenizer, BertModel, DistilBertModel

from piimask.pipeline.basemodel import source_model_dir

SENTENCES = [
    "Dear Ms. Kuphal, your appointment at the Port Kayliestead clinic is on July 5, 2023.",
    "Transfer 764,336.48 to IBAN DE89370400440532013000 before Friday.",
    "The server 192.168.0.12 rejected user admin_77 with password hunter2.",
    "Can we meet at 10:18 PM?",
]


def test_hidden_states_match_source_bert(base_model_dir):
    src = BertModel.from_pretrained(str(source_model_dir())).eval()
    dst = DistilBertModel.from_pretrained(str(base_model_dir)).eval()
    tok = AutoTokenizer.from_pretrained(str(base_model_dir))
    batch = tok(SENTENCES, padding=True, return_tensors="pt")
    assert "token_type_ids" not in batch
    with torch.no_grad():
        a = src(**batch).last_hidden_state
        b = dst(**batch).last_hidden_state
    m = batch["attention_mask"].bool()
    assert (a - b)[m].abs().max().item() < 1e-4
    assert a[m].abs().max().item() > 0.1  # not a trivial zero match


def test_token_classification_head_trains_a_step(base_model_dir):
    model = AutoModelForTokenClassification.from_pretrained(str(base_model_dir), num_labels=113)
    assert type(model).__name__ == "DistilBertForTokenClassification"
    tok = AutoTokenizer.from_pretrained(str(base_model_dir))
    batch = tok(SENTENCES[:2], padding=True, return_tensors="pt")
    labels = torch.zeros_like(batch["input_ids"])
    out = model(**batch, labels=labels)
    out.loss.backward()
    assert torch.isfinite(out.loss)
    assert model.classifier.weight.grad is not None and model.classifier.weight.grad.abs().sum() > 0
    card = (base_model_dir / "README.md").read_text()
    assert "DistilBERT" in card and "MiniLM" in card
