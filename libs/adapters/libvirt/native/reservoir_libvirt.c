/*
 * reservoir_libvirt: the few libvirt C API calls the Reservoir libvirt adapter needs, as a plain N-API addon.
 *
 * Shape (see ../native-binding.ts for the typed face):
 *   - every operation is `fn(handle, ...args) -> Promise`; it runs on libuv's thread pool (napi_async_work), so a
 *     slow libvirt call (save, migrate) never blocks the JS event loop. Domains are addressed by name and looked up
 *     on the worker thread: no virDomainPtr ever crosses into JS.
 *   - a failure rejects with an Error carrying libvirt's `code` (virErrorNumber), `domain` (virErrorDomain) and
 *     `errno` (virError.int1, set by system errors), captured on the thread that failed (libvirt errors are
 *     thread-local).
 *   - lifecycle events: libvirt's default event loop runs on one dedicated thread; each connection registers one
 *     lifecycle callback that posts to a napi_threadsafe_function (unref'd, so it never keeps the process alive).
 * Policy (which state allows what, error meanings) lives in TypeScript; this file only calls libvirt.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call) do { if ((call) != napi_ok) return NULL; } while (0)
#define MAX_STR 4

/* One connection. `conn` is owned (one reference) until close; each job holds its own reference. */
typedef struct {
  virConnectPtr conn;
  int callback_id; /* lifecycle callback, -1 when none */
} handle_t;

/* A domain as list/info report it. */
typedef struct {
  char *name;
  char uuid[VIR_UUID_STRING_BUFLEN];
  int state, reason, vcpu;
  double memory_kib, max_memory_kib, cpu_time_ns;
} dom_t;

typedef enum { R_NONE, R_STR, R_STRS, R_DOMS, R_NUMS, R_HANDLE } result_kind;

/* One call in flight: arguments in, result or error out. Strings are owned copies. */
typedef struct job {
  napi_async_work work;
  napi_deferred deferred;
  handle_t *h;
  virConnectPtr conn; /* referenced for the job's duration */
  int (*run)(struct job *);
  char *s[MAX_STR];
  unsigned int flags;
  result_kind kind;
  char *str;
  char **strs;
  dom_t *doms;
  int count;
  double nums[4];
  int failed, code, domain, errnum;
  char *message;
} job_t;

/* ---- helpers running on the worker thread ---- */

/* Copies libvirt's last error of this thread into the job; returns -1 for `return fail(j)`. */
static int fail(job_t *j) {
  virErrorPtr e = virGetLastError();
  j->failed = 1;
  j->code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
  j->domain = e ? e->domain : VIR_FROM_NONE;
  j->errnum = e ? e->int1 : 0;
  j->message = strdup(e && e->message ? e->message : "libvirt call failed without an error");
  return -1;
}

static virDomainPtr lookup(job_t *j) {
  return virDomainLookupByName(j->conn, j->s[0]);
}

/* Fills one dom_t from a domain; 0 or -1. */
static int describe(virDomainPtr d, dom_t *out) {
  virDomainInfo info;
  const char *name = virDomainGetName(d);
  if (!name || virDomainGetUUIDString(d, out->uuid) < 0 || virDomainGetInfo(d, &info) < 0) return -1;
  if (virDomainGetState(d, &out->state, &out->reason, 0) < 0) return -1;
  out->name = strdup(name);
  out->vcpu = info.nrVirtCpu;
  out->memory_kib = (double)info.memory;
  out->max_memory_kib = (double)info.maxMem;
  out->cpu_time_ns = (double)info.cpuTime;
  return 0;
}

/* ---- operations (worker thread); each returns 0 or fail(j) ---- */

static int op_open(job_t *j) {
  j->conn = virConnectOpen(j->s[0]);
  if (!j->conn) return fail(j);
  /* Remote connections notice a dead daemon through keepalive (needs the event loop); others ignore it. */
  if (virConnectSetKeepAlive(j->conn, 5, 3) < 0) virResetLastError();
  j->h = calloc(1, sizeof(handle_t));
  j->h->conn = j->conn;
  j->h->callback_id = -1;
  virConnectRef(j->conn); /* the job's own reference, dropped in complete() like every job's */
  j->kind = R_HANDLE;
  return 0;
}

static int op_conn_info(job_t *j) {
  const char *type = virConnectGetType(j->conn);
  char *uri = virConnectGetURI(j->conn);
  if (!type || !uri) return fail(j);
  j->strs = calloc(2, sizeof(char *));
  j->strs[0] = uri;
  j->strs[1] = strdup(type);
  j->count = 2;
  j->kind = R_STRS;
  return 0;
}

/* [cpus, memoryKiB, storageBytes]: storage is the capacity of the host's active storage pools (0 without). */
static int op_node_info(job_t *j) {
  virNodeInfo node;
  virStoragePoolPtr *pools = NULL;
  double storage = 0;
  if (virNodeGetInfo(j->conn, &node) < 0) return fail(j);
  int n = virConnectListAllStoragePools(j->conn, &pools, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
  if (n < 0) virResetLastError(); /* a host without a storage driver simply has no pools */
  for (int i = 0; i < n; i++) {
    virStoragePoolInfo info;
    if (virStoragePoolGetInfo(pools[i], &info) == 0) storage += (double)info.capacity;
    virStoragePoolFree(pools[i]);
  }
  free(pools);
  j->nums[0] = node.cpus;
  j->nums[1] = (double)node.memory;
  j->nums[2] = storage;
  j->count = 3;
  j->kind = R_NUMS;
  return 0;
}

static int op_list(job_t *j) {
  virDomainPtr *doms = NULL;
  int n = virConnectListAllDomains(j->conn, &doms, 0);
  if (n < 0) return fail(j);
  j->doms = calloc(n > 0 ? n : 1, sizeof(dom_t));
  for (int i = 0; i < n; i++) {
    /* A domain that vanished between listing and describing is skipped, not an error. */
    if (describe(doms[i], &j->doms[j->count]) == 0) j->count++;
    else virResetLastError();
    virDomainFree(doms[i]);
  }
  free(doms);
  j->kind = R_DOMS;
  return 0;
}

/* s[0] is a name, or a UUID when flags == 1. */
static int op_info(job_t *j) {
  virDomainPtr d = j->flags ? virDomainLookupByUUIDString(j->conn, j->s[0]) : lookup(j);
  if (!d) return fail(j);
  j->doms = calloc(1, sizeof(dom_t));
  int rc = describe(d, j->doms);
  virDomainFree(d);
  if (rc < 0) return fail(j);
  j->count = 1;
  j->kind = R_DOMS;
  return 0;
}

static int op_define(job_t *j) {
  virDomainPtr d = virDomainDefineXMLFlags(j->conn, j->s[0], j->flags);
  if (!d) return fail(j);
  virDomainFree(d);
  return 0;
}

/* Simple per-domain actions: s[0] = name. */
#define DOMAIN_ACTION(fn, call)                \
  static int fn(job_t *j) {                    \
    virDomainPtr d = lookup(j);                \
    if (!d) return fail(j);                    \
    int rc = (call);                           \
    if (rc < 0) fail(j);                       \
    virDomainFree(d);                          \
    return rc < 0 ? -1 : 0;                    \
  }
DOMAIN_ACTION(op_start, virDomainCreate(d))
DOMAIN_ACTION(op_shutdown, virDomainShutdown(d))
DOMAIN_ACTION(op_destroy, virDomainDestroy(d))
DOMAIN_ACTION(op_suspend, virDomainSuspend(d))
DOMAIN_ACTION(op_resume, virDomainResume(d))
DOMAIN_ACTION(op_undefine, virDomainUndefineFlags(d, j->flags))
DOMAIN_ACTION(op_save, virDomainSave(d, j->s[1]))

static int op_xml(job_t *j) {
  virDomainPtr d = lookup(j);
  if (!d) return fail(j);
  j->str = virDomainGetXMLDesc(d, j->flags);
  virDomainFree(d);
  if (!j->str) return fail(j);
  j->kind = R_STR;
  return 0;
}

static int op_save_image_xml(job_t *j) {
  j->str = virDomainSaveImageGetXMLDesc(j->conn, j->s[0], 0);
  if (!j->str) return fail(j);
  j->kind = R_STR;
  return 0;
}

/* s[0] = save image path, s[1] = replacement domain XML or NULL (restore has no s[1]: NULL). */
static int op_restore(job_t *j) {
  return virDomainRestoreFlags(j->conn, j->s[0], j->s[1], j->flags) < 0 ? fail(j) : 0;
}

/* ---- block jobs: the active commit that merges a checkpoint's temporary overlay back ---- */

/* s[0] = domain, s[1] = disk (target or path), s[2] = base or NULL; top is the active layer. */
static int op_block_commit(job_t *j) {
  virDomainPtr d = lookup(j);
  if (!d) return fail(j);
  int rc = virDomainBlockCommit(d, j->s[1], j->s[2], NULL, 0, j->flags);
  if (rc < 0) fail(j);
  virDomainFree(d);
  return rc < 0 ? -1 : 0;
}

/* s[0] = domain, s[1] = disk: [1 when a job runs else 0, its type, cur, end]. */
static int op_block_job_info(job_t *j) {
  virDomainPtr d = lookup(j);
  if (!d) return fail(j);
  virDomainBlockJobInfo info;
  memset(&info, 0, sizeof info);
  int rc = virDomainGetBlockJobInfo(d, j->s[1], &info, 0);
  if (rc < 0) fail(j);
  virDomainFree(d);
  if (rc < 0) return -1;
  j->nums[0] = rc;
  j->nums[1] = info.type;
  j->nums[2] = (double)info.cur;
  j->nums[3] = (double)info.end;
  j->count = 4;
  j->kind = R_NUMS;
  return 0;
}

/* s[0] = domain, s[1] = disk; flags: VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT to switch to the job's target. */
static int op_block_job_abort(job_t *j) {
  virDomainPtr d = lookup(j);
  if (!d) return fail(j);
  int rc = virDomainBlockJobAbort(d, j->s[1], j->flags);
  if (rc < 0) fail(j);
  virDomainFree(d);
  return rc < 0 ? -1 : 0;
}

/* s[0] = domain, s[1] = snapshot XML. */
static int op_snapshot_create(job_t *j) {
  virDomainPtr d = lookup(j);
  if (!d) return fail(j);
  virDomainSnapshotPtr s = virDomainSnapshotCreateXML(d, j->s[1], j->flags);
  if (!s) fail(j);
  else virDomainSnapshotFree(s);
  virDomainFree(d);
  return s ? 0 : -1;
}

/* s[0] = domain, s[1] = snapshot name; revert (s[2] == "revert") or delete. */
static int op_snapshot_apply(job_t *j) {
  virDomainPtr d = lookup(j);
  if (!d) return fail(j);
  virDomainSnapshotPtr s = virDomainSnapshotLookupByName(d, j->s[1], 0);
  int rc = -1;
  if (s) {
    rc = strcmp(j->s[2], "revert") == 0 ? virDomainRevertToSnapshot(s, j->flags) : virDomainSnapshotDelete(s, j->flags);
    virDomainSnapshotFree(s);
  }
  if (rc < 0) fail(j);
  virDomainFree(d);
  return rc < 0 ? -1 : 0;
}

/* The XML description of each snapshot of s[0] (the caller parses name, state, creationTime, description). */
static int op_snapshot_list(job_t *j) {
  virDomainPtr d = lookup(j);
  if (!d) return fail(j);
  virDomainSnapshotPtr *snaps = NULL;
  int n = virDomainListAllSnapshots(d, &snaps, 0);
  if (n < 0) fail(j);
  j->strs = calloc(n > 0 ? n : 1, sizeof(char *));
  for (int i = 0; i < n; i++) {
    char *xml = virDomainSnapshotGetXMLDesc(snaps[i], VIR_DOMAIN_SNAPSHOT_XML_SECURE);
    if (xml) j->strs[j->count++] = xml;
    else virResetLastError(); /* deleted meanwhile */
    virDomainSnapshotFree(snaps[i]);
  }
  free(snaps);
  virDomainFree(d);
  j->kind = R_STRS;
  return n < 0 ? -1 : 0;
}

/* s[0] = domain, s[1] = destination URI (p2p), s[2] = migration URI or NULL, s[3] = listen address or NULL. */
static int op_migrate(job_t *j) {
  virDomainPtr d = lookup(j);
  if (!d) return fail(j);
  virTypedParameterPtr params = NULL;
  int nparams = 0, maxparams = 0;
  if (j->s[2]) virTypedParamsAddString(&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_URI, j->s[2]);
  if (j->s[3]) virTypedParamsAddString(&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_LISTEN_ADDRESS, j->s[3]);
  int rc = virDomainMigrateToURI3(d, j->s[1], params, nparams, j->flags);
  if (rc < 0) fail(j);
  virTypedParamsFree(params, nparams);
  virDomainFree(d);
  return rc < 0 ? -1 : 0;
}

/* ---- networks: the per-service isolated segments ---- */

/* s[0] = network name, s[1] = its XML: defined when missing, started when inactive. Idempotent. */
static int op_network_ensure(job_t *j) {
  virNetworkPtr n = virNetworkLookupByName(j->conn, j->s[0]);
  if (!n) {
    virResetLastError();
    n = virNetworkDefineXML(j->conn, j->s[1]);
    if (!n) return fail(j);
  }
  int active = virNetworkIsActive(n);
  int rc = active == 1 ? 0 : (active < 0 ? -1 : virNetworkCreate(n));
  if (rc < 0) fail(j);
  virNetworkFree(n);
  return rc < 0 ? -1 : 0;
}

/* s[0] = network name: stopped when active, then undefined. */
static int op_network_remove(job_t *j) {
  virNetworkPtr n = virNetworkLookupByName(j->conn, j->s[0]);
  if (!n) return fail(j);
  int rc = 0;
  if (virNetworkIsActive(n) == 1) rc = virNetworkDestroy(n);
  if (rc == 0 && virNetworkIsPersistent(n) == 1) rc = virNetworkUndefine(n);
  if (rc < 0) fail(j);
  virNetworkFree(n);
  return rc < 0 ? -1 : 0;
}

/* Every network on the host, active or not, as "name\nbridge" (bridge empty when libvirt names none). */
static int op_network_list(job_t *j) {
  virNetworkPtr *nets = NULL;
  int n = virConnectListAllNetworks(j->conn, &nets, 0);
  if (n < 0) return fail(j);
  j->strs = calloc(n > 0 ? n : 1, sizeof(char *));
  for (int i = 0; i < n; i++) {
    const char *name = virNetworkGetName(nets[i]);
    char *bridge = virNetworkGetBridgeName(nets[i]);
    if (!bridge) virResetLastError();
    if (name) {
      size_t len = strlen(name) + (bridge ? strlen(bridge) : 0) + 2;
      j->strs[j->count] = malloc(len);
      snprintf(j->strs[j->count++], len, "%s\n%s", name, bridge ? bridge : "");
    }
    free(bridge);
    virNetworkFree(nets[i]);
  }
  free(nets);
  j->kind = R_STRS;
  return 0;
}

/* ---- JS side: argument parsing, promise settling ---- */

static void execute(napi_env env, void *data) {
  (void)env;
  job_t *j = data;
  j->run(j);
}

static napi_value make_dom(napi_env env, const dom_t *d) {
  napi_value o, v;
  CHECK(napi_create_object(env, &o));
#define SET_NUM(key, num) CHECK(napi_create_double(env, (num), &v)); CHECK(napi_set_named_property(env, o, key, v))
#define SET_STR(key, s) CHECK(napi_create_string_utf8(env, (s), NAPI_AUTO_LENGTH, &v)); CHECK(napi_set_named_property(env, o, key, v))
  SET_STR("name", d->name);
  SET_STR("uuid", d->uuid);
  SET_NUM("state", d->state);
  SET_NUM("reason", d->reason);
  SET_NUM("vcpu", d->vcpu);
  SET_NUM("memoryKiB", d->memory_kib);
  SET_NUM("maxMemoryKiB", d->max_memory_kib);
  SET_NUM("cpuTimeNs", d->cpu_time_ns);
  return o;
}

static void close_conn(handle_t *h) {
  if (!h->conn) return;
  if (h->callback_id >= 0 && virConnectDomainEventDeregisterAny(h->conn, h->callback_id) < 0) virResetLastError();
  virConnectClose(h->conn);
  h->conn = NULL;
}

/* The JS handle was garbage collected: close the connection if `close` was never called. */
static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  close_conn(data);
  free(data);
}

static napi_value make_result(napi_env env, job_t *j) {
  napi_value r, v;
  switch (j->kind) {
    case R_STR: CHECK(napi_create_string_utf8(env, j->str, NAPI_AUTO_LENGTH, &r)); return r;
    case R_HANDLE: CHECK(napi_create_external(env, j->h, finalize_handle, NULL, &r)); return r;
    case R_STRS: case R_DOMS: case R_NUMS:
      CHECK(napi_create_array_with_length(env, j->count, &r));
      for (int i = 0; i < j->count; i++) {
        if (j->kind == R_STRS) CHECK(napi_create_string_utf8(env, j->strs[i], NAPI_AUTO_LENGTH, &v));
        else if (j->kind == R_NUMS) CHECK(napi_create_double(env, j->nums[i], &v));
        else if (!(v = make_dom(env, &j->doms[i]))) return NULL;
        CHECK(napi_set_element(env, r, i, v));
      }
      return r;
    case R_NONE: default: CHECK(napi_get_undefined(env, &r)); return r;
  }
}

static napi_value make_error(napi_env env, job_t *j) {
  napi_value msg, err, v;
  CHECK(napi_create_string_utf8(env, j->message, NAPI_AUTO_LENGTH, &msg));
  CHECK(napi_create_error(env, NULL, msg, &err));
  CHECK(napi_create_int32(env, j->code, &v)); CHECK(napi_set_named_property(env, err, "code", v));
  CHECK(napi_create_int32(env, j->domain, &v)); CHECK(napi_set_named_property(env, err, "domain", v));
  CHECK(napi_create_int32(env, j->errnum, &v)); CHECK(napi_set_named_property(env, err, "errno", v));
  return err;
}

static void free_job(job_t *j) {
  for (int i = 0; i < MAX_STR; i++) free(j->s[i]);
  for (int i = 0; j->strs && i < j->count; i++) free(j->strs[i]);
  for (int i = 0; j->doms && i < j->count; i++) free(j->doms[i].name);
  free(j->strs);
  free(j->doms);
  free(j->str);
  free(j->message);
  free(j);
}

static void complete(napi_env env, napi_status status, void *data) {
  job_t *j = data;
  napi_value value = NULL;
  if (status == napi_ok && !j->failed) value = make_result(env, j);
  if (value) napi_resolve_deferred(env, j->deferred, value);
  else {
    if (!j->failed) { j->failed = 1; j->code = VIR_ERR_INTERNAL_ERROR; j->message = strdup("N-API failure building the result"); }
    napi_reject_deferred(env, j->deferred, make_error(env, j));
  }
  if (j->conn) virConnectClose(j->conn); /* the job's reference */
  napi_delete_async_work(env, j->work);
  free_job(j);
}

/* Reads argument i as a string (NULL for null/undefined) into a malloc'd copy. */
static int read_string(napi_env env, napi_value v, char **out) {
  napi_valuetype t;
  size_t len;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) { *out = NULL; return 0; }
  if (t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return -1;
  *out = malloc(len + 1);
  return napi_get_value_string_utf8(env, v, *out, len + 1, &len) == napi_ok ? 0 : -1;
}

/* An operation's signature: `h` = handle first, then `s` strings, then `f` = a flags number. */
typedef struct { const char *name; int (*run)(job_t *); const char *sig; } op_t;

static const op_t OPS[] = {
  { "open", op_open, "s" },
  { "connInfo", op_conn_info, "h" },
  { "nodeInfo", op_node_info, "h" },
  { "list", op_list, "h" },
  { "info", op_info, "hsf" },
  { "define", op_define, "hsf" },
  { "start", op_start, "hs" },
  { "shutdown", op_shutdown, "hs" },
  { "destroy", op_destroy, "hs" },
  { "suspend", op_suspend, "hs" },
  { "resume", op_resume, "hs" },
  { "undefine", op_undefine, "hsf" },
  { "xml", op_xml, "hsf" },
  { "save", op_save, "hss" },
  { "saveImageXml", op_save_image_xml, "hs" },
  { "restore", op_restore, "hsf" },
  { "restoreXml", op_restore, "hssf" },
  { "blockCommit", op_block_commit, "hsssf" },
  { "blockJobInfo", op_block_job_info, "hss" },
  { "blockJobAbort", op_block_job_abort, "hssf" },
  { "snapshotCreate", op_snapshot_create, "hssf" },
  { "snapshotApply", op_snapshot_apply, "hsssf" },
  { "snapshotList", op_snapshot_list, "hs" },
  { "migrate", op_migrate, "hssssf" },
  { "networkEnsure", op_network_ensure, "hss" },
  { "networkRemove", op_network_remove, "hs" },
  { "networkList", op_network_list, "h" },
};

static handle_t *get_handle(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p || !((handle_t *)p)->conn) return NULL;
  return p;
}

/* The generic entry point of every operation in OPS: parses arguments by signature, queues the job. */
static napi_value dispatch(napi_env env, napi_callback_info info) {
  const op_t *op;
  napi_value argv[8], promise, name;
  size_t argc = 8;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, (void **)&op));
  size_t want = strlen(op->sig);
  if (argc < want) { napi_throw_type_error(env, NULL, "too few arguments"); return NULL; }
  job_t *j = calloc(1, sizeof(job_t));
  j->run = op->run;
  int ns = 0, bad = 0;
  for (size_t i = 0; i < want && !bad; i++) {
    if (op->sig[i] == 'h') {
      if (!(j->h = get_handle(env, argv[i]))) bad = 1;
      else { j->conn = j->h->conn; virConnectRef(j->conn); }
    } else if (op->sig[i] == 's') {
      bad = read_string(env, argv[i], &j->s[ns++]) < 0;
    } else {
      uint32_t f = 0;
      bad = napi_get_value_uint32(env, argv[i], &f) != napi_ok;
      j->flags = f;
    }
  }
  if (bad) {
    if (j->conn) virConnectClose(j->conn);
    free_job(j);
    napi_throw_type_error(env, NULL, "bad argument (closed handle, or wrong type)");
    return NULL;
  }
  CHECK(napi_create_promise(env, &j->deferred, &promise));
  CHECK(napi_create_string_utf8(env, op->name, NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, execute, complete, j, &j->work));
  CHECK(napi_queue_async_work(env, j->work));
  return promise;
}

/* ---- lifecycle events ---- */

typedef struct { char *name; char uuid[VIR_UUID_STRING_BUFLEN]; int event, detail; } event_t;

/* libvirt's event thread: copy what JS needs and hand it over; never blocks. */
static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
  (void)conn;
  event_t *e = calloc(1, sizeof(event_t));
  const char *name = virDomainGetName(dom);
  e->name = strdup(name ? name : "");
  if (virDomainGetUUIDString(dom, e->uuid) < 0) e->uuid[0] = 0;
  e->event = event;
  e->detail = detail;
  if (napi_call_threadsafe_function(opaque, e, napi_tsfn_nonblocking) != napi_ok) { free(e->name); free(e); }
  return 0;
}

/* JS thread: callback(name, uuid, event, detail). */
static void deliver(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  event_t *e = data;
  napi_value argv[4], undefined;
  if (env && callback) {
    napi_create_string_utf8(env, e->name, NAPI_AUTO_LENGTH, &argv[0]);
    napi_create_string_utf8(env, e->uuid, NAPI_AUTO_LENGTH, &argv[1]);
    napi_create_int32(env, e->event, &argv[2]);
    napi_create_int32(env, e->detail, &argv[3]);
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, callback, 4, argv, NULL);
  }
  free(e->name);
  free(e);
}

/* libvirt calls this once the callback is really gone (possibly on the event thread). */
static void release_tsfn(void *opaque) {
  napi_release_threadsafe_function(opaque, napi_tsfn_release);
}

/* subscribe(handle, callback): one lifecycle callback per handle; synchronous (registration is local + one RPC). */
static napi_value subscribe(napi_env env, napi_callback_info info) {
  napi_value argv[2], name;
  size_t argc = 2;
  napi_threadsafe_function tsfn;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = argc == 2 ? get_handle(env, argv[0]) : NULL;
  if (!h || h->callback_id >= 0) { napi_throw_type_error(env, NULL, "bad handle, or already subscribed"); return NULL; }
  CHECK(napi_create_string_utf8(env, "libvirt-lifecycle", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, NULL, deliver, &tsfn));
  CHECK(napi_unref_threadsafe_function(env, tsfn));
  h->callback_id = virConnectDomainEventRegisterAny(h->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                    VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), tsfn, release_tsfn);
  if (h->callback_id < 0) {
    virErrorPtr e = virGetLastError();
    napi_release_threadsafe_function(tsfn, napi_tsfn_release);
    napi_throw_error(env, NULL, e && e->message ? e->message : "event registration failed");
  }
  return NULL;
}

/* close(handle): drops the callback and the handle's reference; jobs in flight keep the connection until done.
 * Synchronous: for a remote host this is one RPC, bounded by keepalive when the host is gone. */
static napi_value close_handle(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = argc == 1 ? get_handle(env, argv[0]) : NULL;
  if (h) close_conn(h); /* closing twice is fine; the struct lives until the external is collected */
  return NULL;
}

/* alive(handle) -> boolean: false once the transport to the daemon broke (no RPC made). */
static napi_value alive(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  size_t argc = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  handle_t *h = argc == 1 ? get_handle(env, argv[0]) : NULL;
  CHECK(napi_get_boolean(env, h && virConnectIsAlive(h->conn) == 1, &r));
  return r;
}

/* ---- module setup ---- */

static void quiet(void *opaque, virErrorPtr e) { (void)opaque; (void)e; } /* no stderr noise: errors go to JS */

static void *event_loop(void *arg) {
  (void)arg;
  for (;;) virEventRunDefaultImpl();
  return NULL;
}

static void start_event_loop(void) {
  pthread_t thread;
  virInitialize();
  virSetErrorFunc(NULL, quiet);
  /* Must precede the first virConnectOpen of the process for events and keepalive to work. */
  if (virEventRegisterDefaultImpl() == 0 && pthread_create(&thread, NULL, event_loop, NULL) == 0) pthread_detach(thread);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

NAPI_MODULE_INIT() {
  /* Jest loads the addon once per test file in the same process: the event loop thread starts only once. */
  pthread_once(&once, start_event_loop);
  napi_value fn;
  for (size_t i = 0; i < sizeof(OPS) / sizeof(OPS[0]); i++) {
    CHECK(napi_create_function(env, OPS[i].name, NAPI_AUTO_LENGTH, dispatch, (void *)&OPS[i], &fn));
    CHECK(napi_set_named_property(env, exports, OPS[i].name, fn));
  }
  CHECK(napi_create_function(env, "subscribe", NAPI_AUTO_LENGTH, subscribe, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "subscribe", fn));
  CHECK(napi_create_function(env, "close", NAPI_AUTO_LENGTH, close_handle, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "close", fn));
  CHECK(napi_create_function(env, "alive", NAPI_AUTO_LENGTH, alive, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "alive", fn));
  return exports;
}
