#include "device.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct device {
  uint64_t in_use;
  uint32_t live;
} device;

struct jet_devices {
  pthread_mutex_t mu;
  uint32_t n;
  uint64_t limit;
  device dev[];
};

jet_devices *jet_devices_create(uint32_t n, uint64_t limit_bytes) {
  if (n == 0) return NULL;
  jet_devices *d = calloc(1, sizeof(*d) + (size_t)n * sizeof(device));
  if (!d) return NULL;
  pthread_mutex_init(&d->mu, NULL);
  d->n = n;
  d->limit = limit_bytes;
  return d;
}

void jet_devices_destroy(jet_devices *d) {
  if (!d) return;
  pthread_mutex_destroy(&d->mu);
  free(d);
}

uint32_t jet_devices_count(const jet_devices *d) { return d->n; }

jet_status jet_devices_check_id(const jet_devices *d, uint32_t id, const char *field) {
  if (id < d->n) return NULL;
  return jet_status_make(JET_INVALID_ARGUMENT, "%s: device %u does not exist (jetd has %u device%s: 0..%u)",
                         field, id, d->n, d->n == 1 ? "" : "s", d->n - 1);
}

jet_status jet_devices_reserve(jet_devices *d, uint32_t id, uint64_t bytes, const char *what) {
  JET_RETURN_IF_ERROR(jet_devices_check_id(d, id, "device"));
  pthread_mutex_lock(&d->mu);
  device *v = &d->dev[id];
  if (d->limit && (bytes > d->limit || v->in_use > d->limit - bytes)) {
    uint64_t in_use = v->in_use;
    pthread_mutex_unlock(&d->mu);
    return jet_status_make(JET_RESOURCE_EXHAUSTED,
                           "device %u: %s needs %llu bytes but the memory limit is %llu bytes "
                           "(memory-limit) and %llu bytes are in use",
                           id, what, (unsigned long long)bytes, (unsigned long long)d->limit,
                           (unsigned long long)in_use);
  }
  v->in_use += bytes;
  v->live++;
  pthread_mutex_unlock(&d->mu);
  return NULL;
}

void jet_devices_release(jet_devices *d, uint32_t id, uint64_t bytes) {
  if (id >= d->n) return;
  pthread_mutex_lock(&d->mu);
  device *v = &d->dev[id];
  v->in_use = v->in_use >= bytes ? v->in_use - bytes : 0;
  if (v->live) v->live--;
  pthread_mutex_unlock(&d->mu);
}

void jet_devices_info(jet_devices *d, uint32_t id, jet_device_info *out) {
  pthread_mutex_lock(&d->mu);
  out->id = id;
  out->kind = "cpu";
  out->limit_bytes = d->limit;
  out->in_use_bytes = id < d->n ? d->dev[id].in_use : 0;
  out->live_arrays = id < d->n ? d->dev[id].live : 0;
  pthread_mutex_unlock(&d->mu);
}
