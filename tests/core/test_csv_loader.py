"""Every bad CSV gets its own specific error code and message; good ones load with the right task."""
import re

import pytest

from core.csv_loader import MIN_PER_CLASS, CSVError, load_csv

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
        (b"a,b\n1,2,3,4\n\x00\xff", {}, "not_utf8"),
        ("a,b\n1,é\n".encode("latin-1"), {}, "not_utf8"),
        (b"a,b\n1,2\n1,2,3,4\n", {}, "ragged"),
        (b'a,b\n"1,2\n', {}, "unreadable"),
        (b"a,label\n" + b"".join(f"{i},{i % 2}\n".encode() for i in range(30)) + b"5,7\n", {}, "rare_class"),
    ],
)
def test_each_bad_input_has_its_own_code(raw, kwargs, code):
    assert code_of(raw, **kwargs) == code


def test_every_code_has_a_translated_message():
    from app.i18n import catalog

    codes = {"empty", "header_only", "non_numeric", "missing", "single_class", "too_large", "too_many_rows",
             "bad_target", "too_few_columns", "too_few_rows", "unreadable", "infinite", "huge_values", "not_utf8",
             "ragged", "rare_class"}
    for lang in ("en", "ru"):
        assert codes <= set(catalog(lang)["csv"])


def regression_csv(extra: str = "", header: str = "x,z,y") -> bytes:
    rows = "".join(f"{i},{(i * 7) % 5},{i * 0.37:.3f}\n" for i in range(30))
    return (header + "\n" + rows + extra).encode()


@pytest.mark.parametrize(
    "extra,code,column",
    [
        ("1,2,inf\n", "infinite", "y"),  # a regression target
        ("1,2,-inf\n", "infinite", "y"),
        ("inf,2,1.5\n", "infinite", "x"),  # a feature: was reported as "empty or NaN"
        ("1,2,1e400\n", "infinite", "y"),  # beyond float64 too
        ("1,2,1e39\n", "huge_values", "y"),  # beyond float32: became inf in the target tensor
        ("1,2,3.3e38\n", "huge_values", "y"),  # fits float32, but its square does not
        ("1,2,-1e20\n", "huge_values", "y"),
        ("1e39,2,1.5\n", "huge_values", "x"),
        ("1,-5e300,1.5\n", "huge_values", "z"),
    ],
)
def test_non_finite_and_absurd_numbers_are_refused_at_load(extra, code, column):
    with pytest.raises(CSVError) as info:
        load_csv(regression_csv(extra))
    assert info.value.code == code and info.value.params["columns"] == column and info.value.params["count"] == 1


def test_the_refusals_say_what_and_where_in_each_language():
    from app.i18n import explain

    for extra, words in (("inf,2,inf\n", ("infinite", "бесконечн")), ("1,2,1e39\n", ("1e+39", "1e+39"))):
        with pytest.raises(CSVError) as info:
            load_csv(regression_csv(extra))
        en, ru = explain(info.value, "csv", lang="en"), explain(info.value, "csv", lang="ru")
        assert "NaN" not in en and "empty" not in en, "an infinite value is not a missing one"
        assert words[0] in en and words[1] in ru and ru != en
        for said in (en, ru):
            assert info.value.params["columns"] in said and str(info.value.params["count"]) in said


def test_large_but_usable_numbers_and_huge_class_labels_still_load():
    ds = load_csv(regression_csv("1,2,1e12\n"))
    assert ds.task == "regression" and float(ds.y.max()) == pytest.approx(1e12)
    labels = b"a,label\n" + b"".join(f"{i},{[0, 10**20][i % 2]}\n".encode() for i in range(30))
    ds = load_csv(labels)
    assert ds.task == "binary" and ds.y.tolist() == [i % 2 for i in range(30)], "labels are names, not magnitudes"


def test_every_accepted_csv_trains_in_finite_float32():
    """Seeded random CSVs with magnitudes from 1 to 1e400: refused, or finite with finite squared sums."""
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    accepted = refused = 0
    for _ in range(200):
        n, scale = int(rng.integers(10, 60)), float(f"1e{rng.choice([0, 3, 10, 14, 15, 16, 20, 38, 39, 300, 400])}")
        values = rng.standard_normal((n, 3)) * scale  # 1e400 is inf: a whole column of infinities
        if rng.random() < 0.2:
            values[rng.integers(n), rng.integers(3)] = rng.choice([np.inf, -np.inf])
        raw = ("a,b,y\n" + "".join(",".join(repr(float(v)) for v in row) + "\n" for row in values)).encode()
        try:
            ds = load_csv(raw)
        except CSVError as exc:
            assert exc.code in ("infinite", "huge_values"), exc.code
            refused += 1
            continue
        accepted += 1
        for t in (ds.X, ds.y.float()):
            assert torch.isfinite(t).all() and torch.isfinite((t.double() ** 2).sum(0).float()).all()
    assert accepted > 20 and refused > 20


def _refusal(raw: bytes, **kw) -> CSVError:
    with pytest.raises(CSVError) as info:
        load_csv(raw, **kw)
    return info.value


def test_library_errors_are_wrapped_in_our_words_with_their_text_as_a_detail():
    from app.i18n import explain

    latin = _refusal("a,b\n1,é\n".encode("latin-1"))
    quote = _refusal(b'a,b\n"1,2\n')
    for exc, detail in ((latin, "codec can't decode"), (quote, "EOF inside string")):
        assert detail in exc.params["detail"]
        en, ru = explain(exc, "csv", lang="en"), explain(exc, "csv", lang="ru")
        assert detail in en and detail in ru, "the library's own words stay, as a detail"
        ours = ru.replace(exc.params["detail"], "")
        assert re.search("[а-яё]{4}", ours.lower()) and not re.search(r"\b(codec|decode|tokenizing|error)\b", ours.lower())
    ragged = _refusal(b"a,b\n1,2\n1,2,3,4\n")
    assert ragged.params == {"line": 3, "got": 4, "expected": 2}
    assert "3" in explain(ragged, "csv", lang="ru") and "Error tokenizing" not in explain(ragged, "csv", lang="ru")


def test_the_size_limit_reads_in_each_language():
    from app.i18n import explain

    exc = _refusal(b"a,b\n" + b"1,2\n" * 400_000, max_bytes=2**20)
    assert exc.params == {"size": "1.5", "limit": "1.0"}
    assert "1.5 MB" in explain(exc, "csv", lang="en") and "1.5 МБ" in explain(exc, "csv", lang="ru")


def test_a_class_too_rare_for_a_stratified_split_is_refused_before_scikit_learn_sees_it():
    from core.datasets import make_splits

    rows = "".join(f"{i},{['a', 'b', 'c'][i % 3] if i < 60 else 'd'}\n" for i in range(69))  # 'd' has 9 rows
    exc = _refusal(("x,label\n" + rows).encode())
    assert exc.code == "rare_class" and exc.params["value"] == "d" and exc.params["count"] == 9
    for k in (2, 3, 5, 8, 20):  # the loader's minimum is enough for the app's splits, whatever the seed
        rows = "".join(f"{i},{i % k}\n" for i in range(k * MIN_PER_CLASS))
        ds = load_csv(("x,label\n" + rows).encode())
        for seed in range(5):
            s = make_splits(ds, seed=seed)  # 5.2: 70/15/15
            for part in (s.y_train, s.y_val, s.y_test):
                assert set(part.tolist()) == set(range(k)), "every class in every split"
            for ratio in (0.1, 0.35, 0.6):  # 3.1's test share slider
                s = make_splits(ds, val_frac=ratio, test_frac=0.0, seed=seed)
                assert set(s.y_train.tolist()) == set(s.y_val.tolist()) == set(range(k))
