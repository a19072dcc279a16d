"""piimask.pipeline.train_entry with a record of who writes what: each process appends the files it writes
with ``Path.write_text`` and the folders it saves models and tokenizers to, to ``writes-<rank>.txt``
in ``$PIIMASK_PROBE_DIR``. Started by tests/test_launch.py under accelerate launch."""

import os
import sys
from pathlib import Path

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from piimask.pipeline import train_entry

LOG = Path(os.environ["PIIMASK_PROBE_DIR"]) / f"writes-{os.environ.get('RANK', '0')}.txt"
LOG.touch()  # this process started, whether or not it writes anything


def record(what: str, path) -> None:
    with open(LOG, "a") as fh:
        fh.write(f"{what} {Path(path).resolve()}\n")


def spy(original, what):
    def wrapper(self, first, *args, **kwargs):  # write_text(self, data) writes self; save_pretrained(self, folder)
        record(what, self if what == "write_text" else first)
        return original(self, first, *args, **kwargs)

    return wrapper


Path.write_text = spy(Path.write_text, "write_text")
PreTrainedModel.save_pretrained = spy(PreTrainedModel.save_pretrained, "save_model")
PreTrainedTokenizerBase.save_pretrained = spy(PreTrainedTokenizerBase.save_pretrained, "save_tokenizer")

if __name__ == "__main__":
    sys.exit(train_entry.main(sys.argv[1:]))
