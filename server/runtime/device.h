/* Devices of the daemon: N CPU devices with ids 0..N-1, each with an
 * optional memory limit, and the byte/array accounting behind GetDevices and
 * the RESOURCE_EXHAUSTED answers of PutArray and Execute.
 *
 * Every array that lives on a device reserves its bytes here before its
 * memory is allocated and releases them when it is freed.
 *
 * Thread safety: all functions may be called from any thread. */
#ifndef JET_RUNTIME_DEVICE_H
#define JET_RUNTIME_DEVICE_H

#include <stdint.h>

#include "jet/status.h"

typedef struct jet_devices jet_devices;

typedef struct jet_device_info {
  uint32_t id;
  const char *kind;      /* "cpu" (static string) */
  uint64_t limit_bytes;  /* 0 = unlimited */
  uint64_t in_use_bytes;
  uint32_t live_arrays;
} jet_device_info;

/* n >= 1 devices, each limited to limit_bytes (0 = unlimited). NULL on
 * out-of-memory. */
jet_devices *jet_devices_create(uint32_t n, uint64_t limit_bytes);
void jet_devices_destroy(jet_devices *d);

uint32_t jet_devices_count(const jet_devices *d);

/* INVALID_ARGUMENT "FIELD: device 3 does not exist (jetd has 1 device: 0)"
 * for an id out of range. */
jet_status jet_devices_check_id(const jet_devices *d, uint32_t id, const char *field) JET_MUST_USE;

/* Charges one array of `bytes` to device id. Over the limit it charges
 * nothing and answers RESOURCE_EXHAUSTED naming the limit, the bytes in use
 * and `what` (e.g. "f32[1024,1024]"). */
jet_status jet_devices_reserve(jet_devices *d, uint32_t id, uint64_t bytes,
                               const char *what) JET_MUST_USE;
/* Gives back what one jet_devices_reserve charged. */
void jet_devices_release(jet_devices *d, uint32_t id, uint64_t bytes);

/* A snapshot of one device (id must be valid). */
void jet_devices_info(jet_devices *d, uint32_t id, jet_device_info *out);

#endif
