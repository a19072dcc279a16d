import re
from pathlib import Path

from piimask.core import taxonomy


def test_56_classes_match_labels_md():
    labels_md = Path(__file__).resolve().parents[2] / "shared" / "LABELS.md"
    assert len(taxonomy.CLASSES) == 56
    if labels_md.exists():  # the shared notes list the same 56 names in their table
        names = set(re.findall(r"^\| ([A-Z0-9]+) \|", labels_md.read_text(), flags=re.M))
        assert names == set(taxonomy.CLASSES)


def test_bio_ids_are_stable_and_complete():
    assert taxonomy.BIO_LABELS[0] == "O"
    assert len(taxonomy.BIO_LABELS) == 1 + 2 * 56
    assert taxonomy.LABEL2ID["B-ACCOUNTNAME"] == 1 and taxonomy.LABEL2ID["I-ACCOUNTNAME"] == 2
    for c in taxonomy.CLASSES:
        assert f"B-{c}" in taxonomy.LABEL2ID and f"I-{c}" in taxonomy.LABEL2ID
    assert all(taxonomy.ID2LABEL[i] == lab for lab, i in taxonomy.LABEL2ID.items())
    assert all(desc for desc in taxonomy.CLASSES.values())
