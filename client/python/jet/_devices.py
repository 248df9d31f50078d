"""jet.device_count(), jet.local_device_count() and jet.local_devices():
JAX's device queries over the daemon's devices (GetDevices; jetd's
--devices, default one per core). Every jetd device is local to it."""
from ._client import devices


def device_count():
    """Number of jetd devices (what a pmap axis may span at most)."""
    return len(devices())


def local_device_count():
    """The same as device_count(): all of jetd's devices are on its host."""
    return device_count()


def local_devices():
    """The list of jetd devices (jet.devices())."""
    return devices()
