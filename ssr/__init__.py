"""The application layer of the toolkit: the ``ssr`` command line and what it runs.

``ssr.cli`` (the console script), ``ssr.verify`` (the claims of ``ssr verify``), ``ssr.report``
(its figures and report), ``ssr.phase`` (``ssr phase``) and ``ssr.progress`` (progress bars).
They use the mathematical core — :mod:`derive` (SymPy) and :mod:`numerics` (mpmath theory,
estimators, simulation) — which never imports this package.
"""
