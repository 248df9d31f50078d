"""Exceptions of the jet package."""


class JetError(Exception):
    """An error from jetd or libjet. .code is the gRPC code name
    (e.g. "INVALID_ARGUMENT"), .message the text."""

    def __init__(self, code, message):
        self.code = code
        self.message = message
        super().__init__("%s: %s" % (code, message))


class InvalidArgumentError(JetError, TypeError, ValueError):
    """INVALID_ARGUMENT (bad shapes, dtypes, attributes, transforms)."""


class UnimplementedError(JetError, NotImplementedError):
    """UNIMPLEMENTED."""


class UnavailableError(JetError, ConnectionError):
    """UNAVAILABLE: no daemon answers."""


class DeadlineExceededError(JetError, TimeoutError):
    """DEADLINE_EXCEEDED."""


class ResourceExhaustedError(JetError, MemoryError):
    """RESOURCE_EXHAUSTED."""


_BY_CODE = {
    "INVALID_ARGUMENT": InvalidArgumentError,
    "UNIMPLEMENTED": UnimplementedError,
    "UNAVAILABLE": UnavailableError,
    "DEADLINE_EXCEEDED": DeadlineExceededError,
    "RESOURCE_EXHAUSTED": ResourceExhaustedError,
}


def make_error(code, message):
    return _BY_CODE.get(code, JetError)(code, message)


class ConcretizationTypeError(TypeError):
    """A traced value was used where a concrete Python value is needed."""


class TracerBoolConversionError(ConcretizationTypeError):
    """bool() of a traced value."""


class TracerIntegerConversionError(ConcretizationTypeError):
    """int() / index of a traced value."""


class TracerArrayConversionError(ConcretizationTypeError):
    """np.asarray() of a traced value."""


class UnexpectedTracerError(Exception):
    """A tracer escaped the function being traced."""
