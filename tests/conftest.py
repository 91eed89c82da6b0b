"""Shared test fixtures.

Precision is local. Every test starts from mpmath's default context (15 digits),
so a test cannot pass or fail because an earlier one changed ``mp.dps``.
"""
import mpmath as mp
import pytest


@pytest.fixture(autouse=True)
def _reset_mp_dps():
    """Reset the global mpmath precision to its default before each test."""
    mp.mp.dps = 15
    yield


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    """One BLAS thread per process: the matrices here are small (d ≤ 600), and on a shared
    2-core machine multi-threaded OpenBLAS oversubscribes the cores (≈10× slower per call)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


#: Tests moved to the slow tier for the fast tier's budget (``python -m pytest -m "not slow"`` in
#: ≤ 120 s on an idle 2-core machine). Each prefix of a test id took ≥ 2.5 s in
#: ``pytest -m "not slow" --durations=80`` (2026-12-06, load ≈ 2–5: about twice the idle time);
#: together they were 85 % of the fast tier's time. They run in the full suite (CI), unchanged.
SLOW_BY_MEASUREMENT = (
    "tests/numerics/test_support_hard.py::test_a_component_ending_at_a_shift_is_answered_by_both_routes_alike",
    "tests/numerics/test_support_hard.py::test_oracle_gamma_above_one_against_a_finite_matrix",
    "tests/numerics/test_masking.py::test_threshold_optimum_rotational_is_flat",
    "tests/numerics/test_masking.py::test_mask_optimum_routes_agree_and_slope_vanishes",
    "tests/numerics/test_masking.py::test_theory_checkpoints_threshold_diagonal",
    "tests/numerics/test_masking.py::test_effective_ridge_reduction",
    "tests/derive/test_heteroscedastic.py::test_largest_root_of_discriminant_is_the_upper_edge",
    "tests/derive/test_heteroscedastic.py::test_node_factor_is_not_an_edge",
    "tests/derive/test_heteroscedastic.py::test_ridgeless_ssr_threshold_matches_fixed_point_at_small_ridge",
    "tests/derive/test_heteroscedastic.py::test_implicit_pca_threshold_matches_fixed_point",
    "tests/derive/test_rotational.py::test_threshold_equals_pca_threshold",
    "tests/derive/test_elliptical.py::test_bulk_edges_by_duality_with_the_heteroscedastic_edge_equation",
    "tests/ssr/test_images.py::",
    "tests/ssr/test_verify.py::test_a_split_support_claim_passes_at_small_d",
    "tests/ssr/test_verify.py::test_a_split_support_claim_fails_when_the_theory_misses_an_interval",
    "tests/derive/test_headline.py::",
    "tests/ssr/test_parallel.py::",
    "tests/ssr/test_sweep.py::test_a_sweep_killed_at_a_third_resumes_to_the_uninterrupted_rows",
    "tests/numerics/test_support.py::test_powerlaw_spectrum_is_stable_in_the_precision",
    "tests/numerics/test_support.py::test_intervals_agree_between_routes",
    "tests/numerics/test_support.py::test_uniform_pca_edges_match_silverstein_choi",
    "tests/numerics/test_support.py::test_uniform_ssr_spectrum_matches_closed_form_integrals",
    "tests/numerics/test_support.py::test_a_damaged_support_is_refused",
    "tests/numerics/test_covariance.py::test_density_of_a_diagonal_two_atom_sigma_equals_the_discrete_law",
    "tests/numerics/test_covariance.py::test_a_file_law_of_1e5_samples",
    "tests/numerics/test_covariance.py::test_density_under_a_scale_law_equals_the_discrete_law",
    "tests/numerics/test_general_models.py::test_extreme_contrast",
    "tests/numerics/test_general_models.py::test_near_threshold",
    "tests/numerics/test_continuous_laws.py::test_gen_error_matches_closed_form_integrals",
    "tests/numerics/test_extreme_inputs.py::test_mask_optimum_answers_at_extreme_inputs",
    "tests/numerics/test_elliptical.py::test_pca_edges_agree_with_silverstein_choi_on_the_companion",
    "tests/numerics/test_elliptical.py::test_pca_spectrum_is_symmetric_in_the_two_laws",
    "tests/numerics/test_theory.py::test_stieltjes_transform_of_the_density",
    "tests/numerics/test_simulation_vs_theory.py::test_spike_above_threshold",
)


def pytest_collection_modifyitems(config, items):
    slow = pytest.mark.slow
    for item in items:
        if item.nodeid.startswith(SLOW_BY_MEASUREMENT):
            item.add_marker(slow)
