/* The status page (status_page.h). Owner: server/observe.
 *
 * Stable element ids (raw figures as in /status.json, for people and for
 * tests/integration/test_status_page.c):
 *   version, uptime, sessions, live-arrays, live-bytes, queue-depth,
 *   cache-entries, cache-bytes, cache-hits, cache-misses,
 *   dev-N-mem, dev-N-limit, dev-N-arrays (device N),
 *   tenant-NAME-mem, method-NAME-calls, method-NAME-errors,
 *   refreshes (successful fetches so far) and state ("ok" / "error: ...").
 * No external resources: inline CSS and script only. */
#include "observe/status_page.h"

#include <string.h>

static const char k_page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>jetd status</title>\n"
    "<style>\n"
    "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}\n"
    "h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.2em 0 .4em}\n"
    "table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ccc;"
    "padding:.25em .7em;text-align:right}th{background:#eee}td:first-child,th:first-child"
    "{text-align:left}\n"
    ".h{color:#777;font-size:.9em;margin-left:.4em}#state{font-weight:bold}\n"
    "</style></head><body>\n"
    "<h1>jetd <span id=\"version\">?</span></h1>\n"
    "<p>state: <span id=\"state\">loading</span> &middot; refreshes: "
    "<span id=\"refreshes\">0</span></p>\n"
    "<h2>Server</h2><table>\n"
    "<tr><th>uptime (s)</th><td id=\"uptime\">?</td></tr>\n"
    "<tr><th>open sessions</th><td id=\"sessions\">?</td></tr>\n"
    "<tr><th>live arrays</th><td id=\"live-arrays\">?</td></tr>\n"
    "<tr><th>live bytes</th><td id=\"live-bytes\">?</td></tr>\n"
    "<tr><th>Execute queue depth</th><td id=\"queue-depth\">?</td></tr>\n"
    "</table>\n"
    "<h2>Devices</h2><table><thead><tr><th>device</th><th>kind</th><th>memory in use</th>"
    "<th>memory limit</th><th>live arrays</th></tr></thead><tbody id=\"devices\"></tbody>"
    "</table>\n"
    "<h2>Memory per tenant</h2><table><thead><tr><th>tenant</th><th>bytes</th></tr></thead>"
    "<tbody id=\"tenants\"></tbody></table>\n"
    "<h2>Kernel cache</h2><table>\n"
    "<tr><th>entries</th><td id=\"cache-entries\">?</td></tr>\n"
    "<tr><th>bytes</th><td id=\"cache-bytes\">?</td></tr>\n"
    "<tr><th>hits</th><td id=\"cache-hits\">?</td></tr>\n"
    "<tr><th>misses</th><td id=\"cache-misses\">?</td></tr>\n"
    "</table>\n"
    "<h2>Requests by method</h2><table><thead><tr><th>method</th><th>calls</th>"
    "<th>errors</th></tr></thead><tbody id=\"methods\"></tbody></table>\n"
    "<script>\n"
    "'use strict';\n"
    "let refreshes=0;\n"
    "function mib(b){return b>=1048576?(b/1048576).toFixed(1)+' MiB':b>=1024?"
    "(b/1024).toFixed(1)+' KiB':b+' B';}\n"
    "function set(id,v){const e=document.getElementById(id);if(e)e.textContent=String(v);}\n"
    "function cell(tr,text,id){const td=document.createElement('td');td.textContent=String(text);"
    "if(id)td.id=id;tr.appendChild(td);return td;}\n"
    "function safe(s){return String(s).replace(/[^A-Za-z0-9_.-]/g,'_');}\n"
    "function rows(id,list,fill){const tb=document.getElementById(id);tb.textContent='';"
    "for(const x of list){const tr=document.createElement('tr');fill(tr,x);tb.appendChild(tr);}}\n"
    "function show(s){\n"
    " set('version',s.version);set('uptime',Math.floor(s.uptime_seconds));"
    "set('sessions',s.sessions);set('live-arrays',s.live_arrays);set('live-bytes',s.live_bytes);"
    "set('queue-depth',s.queue_depth);\n"
    " set('cache-entries',s.cache.entries);set('cache-bytes',s.cache.bytes);"
    "set('cache-hits',s.cache.hits);set('cache-misses',s.cache.misses);\n"
    " rows('devices',s.devices,(tr,d)=>{cell(tr,d.id);cell(tr,d.kind);"
    "const m=cell(tr,d.memory_in_use_bytes,'dev-'+d.id+'-mem');"
    "m.title=mib(d.memory_in_use_bytes);"
    "cell(tr,d.memory_limit_bytes,'dev-'+d.id+'-limit').title=d.memory_limit_bytes?"
    "mib(d.memory_limit_bytes):'unlimited';cell(tr,d.live_arrays,'dev-'+d.id+'-arrays');});\n"
    " rows('tenants',s.tenants,(tr,t)=>{cell(tr,t.tenant);"
    "cell(tr,t.memory_bytes,'tenant-'+safe(t.tenant)+'-mem');});\n"
    " rows('methods',s.methods,(tr,m)=>{cell(tr,m.method);"
    "cell(tr,m.calls,'method-'+safe(m.method)+'-calls');"
    "cell(tr,m.errors,'method-'+safe(m.method)+'-errors');});\n"
    "}\n"
    "async function refresh(){\n"
    " try{const r=await fetch('/status.json',{cache:'no-store'});"
    "if(!r.ok)throw new Error('HTTP '+r.status);show(await r.json());refreshes++;"
    "set('refreshes',refreshes);set('state','ok');}\n"
    " catch(e){set('state','error: '+e.message);}\n"
    "}\n"
    "refresh();setInterval(refresh,1000);\n"
    "</script></body></html>\n";

const char *jet_status_page_html(size_t *len) {
  if (len) *len = sizeof k_page - 1;
  return k_page;
}
