"""jet.numpy.linalg: norm (vector and matrix norms) and a few helpers built
from jet.numpy operations."""
from jet.numpy.linalg._norm import matrix_norm, norm, vector_norm

__all__ = ["norm", "vector_norm", "matrix_norm"]
