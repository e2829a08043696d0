"""1.1 Linear algebra: sliders move vectors, the matrix, the layer shapes and PCA; the Check tab agrees."""
from conftest import open_page, texts


def test_renders_all_five_parts(lang):
    at = open_page("11_linear_algebra", lang)
    assert not at.exception
    assert len(at.tabs) == 6 and at.latex and len(at.radio) >= 3
    assert any("def pca_by_eigh" in c.value for c in at.code)


def test_vectors_update_dot_product_and_cosine(lang):
    at = open_page("11_linear_algebra", lang)
    at.slider(key="la_a1").set_value(1.0).run()
    at.slider(key="la_a2").set_value(0.0).run()
    at.slider(key="la_b1").set_value(0.0).run()
    at.slider(key="la_b2").set_value(3.0).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["a · b"] == "0" and metrics["cos θ"] == "0" and metrics["‖b‖₂"] == "3"
    assert ("orthogonal" in texts(at)) if lang == "en" else ("ортогональны" in texts(at))


def test_rotation_matrix_says_eigenvalues_are_complex(lang):
    at = open_page("11_linear_algebra", lang)
    for key, v in (("la_m11", 0.0), ("la_m12", -1.0), ("la_m21", 1.0), ("la_m22", 0.0)):
        at.slider(key=key).set_value(v).run()
    assert not at.exception
    warn = " ".join(w.value for w in at.warning)
    assert ("complex" in warn) if lang == "en" else ("комплексные" in warn)
    assert "0.000 ± 1.000i" in warn
    assert any(m.label == "det M" and m.value == "1.000" for m in at.metric)


def test_layer_shapes_and_pca_check(lang):
    at = open_page("11_linear_algebra", lang)
    at.slider(key="la_batch").set_value(8).run()
    at.slider(key="la_in").set_value(5).run()
    at.slider(key="la_out").set_value(3).run()
    at.slider(key="la_corr").set_value(-0.8).run()
    assert not at.exception
    shown = texts(at)
    assert "(8, 5)" in shown and "(3, 5)" in shown and "(8, 3)" in shown and "**18**" in shown
    ok = "matches sklearn.decomposition.PCA" if lang == "en" else "совпадает с sklearn.decomposition.PCA"
    assert any(ok in s.value for s in at.success)
