/* The persistent on-disk compile cache: files, atomic writes, validated
 * reads (the format is disk_entry.c) and the directory's byte bound. See
 * disk_cache.h. */
#include "compiler/disk_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ID_HEX 32
#define BAD(...) jet_status_make(JET_INVALID_ARGUMENT, __VA_ARGS__)
/* Temporary files: ".<id>.<pid>.<n>.tmp"; older than this at open = left
 * by a crash. */
#define STALE_TMP_SECONDS 60

struct jet_disk_cache {
  char *dir;
  char version[JET_DISK_VERSION_BYTES];
  uint64_t max_bytes;
  pthread_mutex_t mu;      /* the counters */
  pthread_mutex_t scan_mu; /* one directory scan at a time */
  jet_disk_stats st;
};

/* Temporary file names are unique per process (pid + this counter), also
 * when several caches of one process share a directory. */
static atomic_uint g_tmp_seq;

/* ---------------------------------------------------------------------- */
/* Files */

static char *path_of(const jet_disk_cache *d, const char *name) {
  size_t n = strlen(d->dir) + 1 + strlen(name) + 1;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s", d->dir, name);
  return p;
}

static char *entry_path(const jet_disk_cache *d, const char *id) {
  char name[ID_HEX + sizeof JET_DISK_FILE_SUFFIX];
  snprintf(name, sizeof name, "%.32s%s", id, JET_DISK_FILE_SUFFIX);
  return path_of(d, name);
}

static bool is_entry_name(const char *name) {
  size_t n = strlen(name), s = strlen(JET_DISK_FILE_SUFFIX);
  if (n != ID_HEX + s || strcmp(name + ID_HEX, JET_DISK_FILE_SUFFIX) != 0) return false;
  char id[ID_HEX + 1];
  memcpy(id, name, ID_HEX);
  id[ID_HEX] = '\0';
  return jet_disk_id_valid(id);
}

static bool is_tmp_name(const char *name) {
  size_t n = strlen(name);
  if (name[0] != '.' || n < ID_HEX + 6 || strcmp(name + n - 4, ".tmp") != 0) return false;
  char id[ID_HEX + 1];
  memcpy(id, name + 1, ID_HEX);
  id[ID_HEX] = '\0';
  return jet_disk_id_valid(id);
}

static int mkdir_p(const char *dir) {
  char *p = strdup(dir);
  if (!p) return ENOMEM;
  int err = 0;
  for (char *s = p + 1; !err; s++) {
    if (*s != '/' && *s != '\0') continue;
    char c = *s;
    *s = '\0';
    if (mkdir(p, 0755) != 0 && errno != EEXIST) err = errno;
    *s = c;
    if (!c) break;
  }
  free(p);
  if (!err) {
    struct stat sb;
    if (stat(dir, &sb) != 0) err = errno;
    else if (!S_ISDIR(sb.st_mode)) err = ENOTDIR;
  }
  return err;
}

typedef struct file_info {
  char name[ID_HEX + sizeof JET_DISK_FILE_SUFFIX];
  struct timespec mtime;
  uint64_t size;
} file_info;

static int by_mtime(const void *a, const void *b) {
  const file_info *x = a, *y = b;
  if (x->mtime.tv_sec != y->mtime.tv_sec) return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
  if (x->mtime.tv_nsec != y->mtime.tv_nsec) return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* Re-reads the directory: counts entries (resetting the counters), deletes
 * stale temporary files, and when `evict` is set and the total is over the
 * bound deletes the least recently used entries until it is at most 7/8
 * of the bound. */
static jet_status scan(jet_disk_cache *d, bool evict) {
  pthread_mutex_lock(&d->scan_mu);
  DIR *dir = opendir(d->dir);
  if (!dir) {
    int e = errno;
    pthread_mutex_unlock(&d->scan_mu);
    return jet_status_make(JET_INTERNAL, "disk cache %s: %s", d->dir, strerror(e));
  }
  int dfd = dirfd(dir);
  file_info *files = NULL;
  size_t n = 0, cap = 0;
  uint64_t total = 0;
  jet_status st = NULL;
  time_t now = time(NULL);
  struct dirent *de;
  while (!st && (de = readdir(dir)) != NULL) {
    struct stat sb;
    if (is_tmp_name(de->d_name)) {
      if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
          now - sb.st_mtim.tv_sec > STALE_TMP_SECONDS)
        (void)unlinkat(dfd, de->d_name, 0);
      continue;
    }
    if (!is_entry_name(de->d_name)) continue;
    if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode)) continue;
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      file_info *nf = realloc(files, nc * sizeof *nf);
      if (!nf) {
        st = jet_status_oom("disk cache scan");
        break;
      }
      files = nf;
      cap = nc;
    }
    const size_t len = strlen(de->d_name); /* is_entry_name checked the length */
    if (len >= sizeof files[n].name) continue;
    memcpy(files[n].name, de->d_name, len + 1);
    files[n].mtime = sb.st_mtim;
    files[n].size = (uint64_t)sb.st_size;
    total += files[n].size;
    n++;
  }
  uint64_t evicted = 0;
  if (!st && evict && total > d->max_bytes) {
    qsort(files, n, sizeof *files, by_mtime);
    uint64_t target = d->max_bytes - d->max_bytes / 8;
    for (size_t i = 0; i < n && total > target; i++) {
      if (unlinkat(dfd, files[i].name, 0) == 0 || errno == ENOENT) {
        total -= files[i].size;
        files[i].size = UINT64_MAX; /* gone */
        evicted++;
      }
    }
  }
  closedir(dir);
  if (!st) {
    pthread_mutex_lock(&d->mu);
    d->st.entries = n - evicted;
    d->st.bytes = total;
    d->st.evictions += evicted;
    pthread_mutex_unlock(&d->mu);
  }
  free(files);
  pthread_mutex_unlock(&d->scan_mu);
  return st;
}

jet_status jet_disk_cache_open(const char *dir, uint64_t max_bytes, const char *version,
                               jet_disk_cache **out) {
  *out = NULL;
  if (!dir || !*dir || max_bytes == 0)
    return jet_status_make(JET_INVALID_ARGUMENT, "disk cache: empty directory or zero bound");
  if (strlen(version) >= JET_DISK_VERSION_BYTES)
    return jet_status_make(JET_INVALID_ARGUMENT, "disk cache: version '%.60s' is too long",
                           version);
  int err = mkdir_p(dir);
  if (!err && access(dir, R_OK | W_OK | X_OK) != 0) err = errno;
  if (err)
    return jet_status_make(JET_INVALID_ARGUMENT, "cache-dir %s: %s", dir, strerror(err));
  jet_disk_cache *d = calloc(1, sizeof *d);
  if (!d) return jet_status_oom("disk cache");
  d->dir = strdup(dir);
  if (!d->dir) {
    free(d);
    return jet_status_oom("disk cache");
  }
  size_t l = strlen(d->dir);
  while (l > 1 && d->dir[l - 1] == '/') d->dir[--l] = '\0';
  snprintf(d->version, sizeof d->version, "%s", version);
  d->max_bytes = max_bytes;
  d->st.capacity = max_bytes;
  pthread_mutex_init(&d->mu, NULL);
  pthread_mutex_init(&d->scan_mu, NULL);
  jet_status st = scan(d, true);
  if (st) {
    jet_disk_cache_close(d);
    return st;
  }
  *out = d;
  return NULL;
}

void jet_disk_cache_close(jet_disk_cache *d) {
  if (!d) return;
  pthread_mutex_destroy(&d->mu);
  pthread_mutex_destroy(&d->scan_mu);
  free(d->dir);
  free(d);
}

const char *jet_disk_cache_dir(const jet_disk_cache *d) { return d->dir; }

static void count(jet_disk_cache *d, uint64_t *field) {
  pthread_mutex_lock(&d->mu);
  (*field)++;
  pthread_mutex_unlock(&d->mu);
}

/* Deletes the file of a bad entry and counts it; size = its size. */
static void drop(jet_disk_cache *d, const char *path, uint64_t size) {
  bool gone = unlink(path) == 0;
  pthread_mutex_lock(&d->mu);
  d->st.discarded++;
  if (gone) {
    if (d->st.entries) d->st.entries--;
    d->st.bytes = d->st.bytes > size ? d->st.bytes - size : 0;
  }
  pthread_mutex_unlock(&d->mu);
}

static int read_all(int fd, unsigned char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno;
    if (r == 0) break;
    got += (size_t)r;
  }
  return got == n ? 0 : EIO;
}

jet_disk_result jet_disk_cache_load(jet_disk_cache *d, const char *id, jet_graph **graph,
                                    char *why, size_t why_cap) {
  *graph = NULL;
  if (why && why_cap) why[0] = '\0';
  if (!jet_disk_id_valid(id)) return JET_DISK_MISS;
  char *path = entry_path(d, id);
  if (!path) {
    if (why) snprintf(why, why_cap, "disk cache: out of memory");
    return JET_DISK_MISS;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e != ENOENT && why) snprintf(why, why_cap, "disk cache %s: %s", path, strerror(e));
    free(path);
    return JET_DISK_MISS;
  }
  struct stat sb;
  jet_status st = NULL;
  unsigned char *buf = NULL;
  uint64_t size = 0;
  if (fstat(fd, &sb) != 0) {
    st = jet_status_make(JET_INTERNAL, "fstat: %s", strerror(errno));
  } else {
    size = (uint64_t)sb.st_size;
    if (!S_ISREG(sb.st_mode)) st = BAD("not a regular file");
    else if (size > d->max_bytes || size > SIZE_MAX - 1)
      st = BAD("%llu bytes, more than cache-dir-bytes", (unsigned long long)size);
  }
  if (!st) {
    buf = malloc(size ? (size_t)size : 1);
    if (!buf) st = jet_status_oom("disk cache read");
  }
  if (!st) {
    int e = read_all(fd, buf, (size_t)size);
    if (e == EIO) st = BAD("short read (file changed while reading)");
    else if (e) st = jet_status_make(JET_INTERNAL, "read: %s", strerror(e));
  }
  jet_disk_result res = JET_DISK_MISS;
  if (!st) {
    st = jet_disk_entry_decode(id, d->version, buf, (size_t)size, graph);
    if (!st) {
      (void)futimens(fd, NULL); /* most recently used */
      count(d, &d->st.hits);
      res = JET_DISK_HIT;
    }
  }
  close(fd);
  free(buf);
  if (st) {
    jet_code code = jet_status_code(st);
    /* Out of memory or an I/O error says nothing about the entry: keep it,
     * report a miss. Anything else is a bad entry: delete it. */
    bool bad = code == JET_INVALID_ARGUMENT;
    if (why)
      snprintf(why, why_cap, "disk cache entry %s: %s%s", path, jet_status_message(st),
               bad ? "; discarded" : "");
    if (bad) {
      drop(d, path, size);
      res = JET_DISK_DISCARDED;
    }
    jet_status_free(st);
  }
  free(path);
  return res;
}

static int write_all(int fd, const unsigned char *buf, size_t n) {
  size_t put = 0;
  while (put < n) {
    ssize_t w = write(fd, buf + put, n - put);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    put += (size_t)w;
  }
  return 0;
}

jet_status jet_disk_cache_store(jet_disk_cache *d, const char *id, const jet_graph *graph) {
  unsigned char *buf;
  size_t len;
  jet_status st = jet_disk_entry_encode(id, d->version, graph, &buf, &len);
  if (st) {
    count(d, &d->st.write_errors);
    return st;
  }
  /* An entry larger than the whole directory bound is not kept. */
  if (len > d->max_bytes) {
    free(buf);
    return NULL;
  }
  char *path = entry_path(d, id);
  char tmpname[ID_HEX + 64];
  snprintf(tmpname, sizeof tmpname, ".%.32s.%ld.%u.tmp", id, (long)getpid(),
           atomic_fetch_add(&g_tmp_seq, 1));
  char *tmp = path_of(d, tmpname);
  if (!path || !tmp) {
    free(buf);
    free(path);
    free(tmp);
    count(d, &d->st.write_errors);
    return jet_status_oom("disk cache path");
  }
  const char *step = "open";
  int err = 0;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    err = errno;
  } else {
    step = "write";
    err = write_all(fd, buf, len);
    if (!err) {
      step = "fsync";
      if (fsync(fd) != 0) err = errno;
    }
    if (close(fd) != 0 && !err) {
      step = "close";
      err = errno;
    }
    struct stat old;
    bool replaced = !err && stat(path, &old) == 0;
    if (!err) {
      step = "rename";
      if (rename(tmp, path) != 0) err = errno;
    }
    if (err) {
      (void)unlink(tmp);
    } else {
      /* No fsync of the directory: a rename lost in a crash only loses the
       * entry (compiled again), and a file whose data did not reach the disk
       * fails its checksums and is discarded. */
      pthread_mutex_lock(&d->mu);
      uint64_t was = replaced ? (uint64_t)old.st_size : 0;
      if (!replaced) d->st.entries++;
      d->st.bytes = d->st.bytes > was ? d->st.bytes - was : 0;
      d->st.bytes += len;
      bool over = d->st.bytes > d->max_bytes;
      pthread_mutex_unlock(&d->mu);
      if (over) {
        jet_status s2 = scan(d, true);
        jet_status_free(s2); /* the entry is written; the next store scans again */
      }
    }
  }
  free(buf);
  free(path);
  if (err) {
    st = jet_status_make(JET_INTERNAL, "disk cache %s: %s: %s", tmp, step, strerror(err));
    count(d, &d->st.write_errors);
  }
  free(tmp);
  return st;
}

bool jet_disk_cache_discard(jet_disk_cache *d, const char *id) {
  if (!jet_disk_id_valid(id)) return false;
  char *path = entry_path(d, id);
  if (!path) return false;
  struct stat sb;
  bool found = stat(path, &sb) == 0;
  if (found) drop(d, path, (uint64_t)sb.st_size);
  free(path);
  return found;
}

void jet_disk_cache_get_stats(jet_disk_cache *d, jet_disk_stats *out) {
  pthread_mutex_lock(&d->mu);
  *out = d->st;
  pthread_mutex_unlock(&d->mu);
}
