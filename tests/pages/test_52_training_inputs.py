"""5.2 Training on hostile or broken input: checkpoints of the wrong shape, diverged runs, odd CSVs."""
import io

import torch
from conftest import open_page


def saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_a_checkpoint_holding_non_tensors_is_refused_with_a_message(lang):
    at = open_page("52_training", lang)
    for name, obj in (("ints.pt", {"state_dict": {"w": torch.zeros(2, 3), "n": 3}, "best_epoch": 1}),
                      ("nested.pt", {"state_dict": {"block": {"w": torch.zeros(2)}, "l": [1, 2]}}),
                      ("list.pt", [torch.zeros(2)])):
        at.file_uploader(key="tr_ckpt").upload(name, saved(obj)).run()
        assert not at.exception, name
        assert not at.success, f"{name}: not 'Loaded safely'"
        said = " ".join(e.value for e in at.error)
        expected = ("tensor", "dictionary") if lang == "en" else ("тензор", "словарь")
        assert any(word in said for word in expected), said
