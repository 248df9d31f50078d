/* The status page of jetd (owner: server/observe): one self-contained HTML
 * page (no external resources) that fetches /status.json every second and
 * shows its figures under stable element ids (status_page.c lists them). */
#ifndef JET_OBSERVE_STATUS_PAGE_H
#define JET_OBSERVE_STATUS_PAGE_H

#include <stddef.h>

/* The page (static, NUL-terminated); *len = its length. */
const char *jet_status_page_html(size_t *len);

#endif
