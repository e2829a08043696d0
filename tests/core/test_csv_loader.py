"""Every bad CSV gets its own specific error code and message; good ones load with the right task."""
import pytest

from core.csv_loader import CSVError, load_csv

GOOD = b"a,b,label\n" + b"".join(f"{i},{i * 2},{i % 2}\n".encode() for i in range(30))


def code_of(raw: bytes, **kw) -> str:
    with pytest.raises(CSVError) as info:
        load_csv(raw, **kw)
    assert str(info.value), "every error carries an English message"
    return info.value.code


def test_good_csv_loads_as_binary_classification():
    ds = load_csv(GOOD)
    assert ds.task == "binary" and ds.X.shape == (30, 2) and ds.feature_names == ("a", "b")
    assert ds.class_names == ("0", "1")


def test_string_labels_and_regression_targets():
    raw = b"x,y\n" + b"".join(f"{i},{['cat', 'dog', 'owl'][i % 3]}\n".encode() for i in range(30))
    assert load_csv(raw).task == "multiclass"
    raw = b"x,y\n" + b"".join(f"{i},{i * 0.37:.3f}\n".encode() for i in range(30))
    assert load_csv(raw).task == "regression"


@pytest.mark.parametrize(
    "raw,kwargs,code",
    [
        (b"", {}, "empty"),
        (b"   \n\n", {}, "empty"),
        (b"a,b,label\n", {}, "header_only"),
        (b"a,b,label\n" + b"x,1,0\n" * 20, {}, "non_numeric"),
        (b"a,b,label\n1,,0\n" + b"1,2,1\n" * 20, {}, "missing"),
        (b"a,b,label\n" + b"1,2,1\n" * 20, {}, "single_class"),
        (GOOD, {"max_bytes": 100}, "too_large"),
        (GOOD, {"max_rows": 10}, "too_many_rows"),
        (GOOD, {"target": "nope"}, "bad_target"),
        (b"only\n1\n2\n", {}, "too_few_columns"),
        (b"a,label\n1,0\n2,1\n", {}, "too_few_rows"),
        (b"a,b\n1,2,3,4\n\x00\xff", {}, "unreadable"),
    ],
)
def test_each_bad_input_has_its_own_code(raw, kwargs, code):
    assert code_of(raw, **kwargs) == code


def test_every_code_has_a_translated_message():
    from app.i18n import catalog

    codes = {"empty", "header_only", "non_numeric", "missing", "single_class", "too_large", "too_many_rows",
             "bad_target", "too_few_columns", "too_few_rows", "unreadable"}
    for lang in ("en", "ru"):
        assert codes <= set(catalog(lang)["csv"])
