"""Symbolic derivations (SymPy) of the random-matrix theory of masked self-supervised regression."""
