/* Limits shared by the daemon and the clients (one constant each side). */
#ifndef JET_LIMITS_H
#define JET_LIMITS_H

/* Largest gRPC message either side accepts. Bulk data moves in chunks. */
#define JET_MAX_MESSAGE_BYTES (64 * 1024 * 1024)
/* Chunk size for PutArray / GetArray streams. */
#define JET_CHUNK_BYTES (4 * 1024 * 1024)
/* Metadata key carrying the session token. */
#define JET_SESSION_METADATA_KEY "jet-session"
/* Default daemon port. */
#define JET_DEFAULT_PORT 7450

#endif
