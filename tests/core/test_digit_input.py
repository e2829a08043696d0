"""Typed digit strings (3.4): one rule validates and parses, so no text can pass the check and then
crash the parse. Only ASCII 0-9 are digits: "²" passes str.isdigit() and int() refuses it."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.sequences import SequenceInputError, parse_digit_string

UNICODE_DIGITS = ["²", "³", "¹", "⁸", "₃", "①", "١", "٣", "۵", "५", "៣", "９", "𝟙", "߂"]


@pytest.mark.parametrize("digit", UNICODE_DIGITS)
def test_non_ascii_digits_are_refused_by_name(digit):
    with pytest.raises(SequenceInputError) as err:
        parse_digit_string(f"12{digit}3 4567", 8)
    assert err.value.code == "not_digits" and err.value.params["chars"] == digit


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789 ,") + UNICODE_DIGITS) | st.characters(), max_size=20))
def test_any_text_is_tokens_or_a_coded_error(text):
    try:
        tokens = parse_digit_string(text, 8)
    except SequenceInputError as err:
        assert err.code in ("empty", "not_digits", "out_of_vocab", "wrong_length")
        return
    assert tokens.shape == (1, 8) and tokens.dtype == torch.long
    assert "".join(map(str, tokens[0].tolist())) == "".join(text.replace(",", " ").split())
