"""High-precision evaluation, estimator, simulation and verification for masked SSR."""
