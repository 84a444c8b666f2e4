/*
 * store_rows.c - the rows of one commit (doc/schema.md, "Writing"): the big
 * tables, each written in its own key order, and the tables derived from
 * them.  Runs inside the transaction that store_commit.c opened.
 *
 * Three passes over the commit's rows, so that each B-tree is walked
 * forwards:
 *  - hourly_ids in (hour, internal id, port, external id) order, as
 *    multi-row UPSERTs of STORE_BATCH rows: nothing needs to come back.
 *    The same walk aggregates the rows again in memory by service, host,
 *    service and day, peer and day.
 *  - service_peer_ids in (internal id, port, external id) order, rows of
 *    the same key (other hours) merged first.  A new row is a new peer of
 *    the service.  A row known to exist (its key was committed before) or
 *    certain to be new (one of its addresses got its id in this commit)
 *    goes into a multi-row UPSERT; any other is tried with INSERT OR
 *    IGNORE, and sqlite3_changes() tells whether it was new or needs its
 *    UPDATE.
 *  - daily_service_peer_ids in its key order (day, internal id, external
 *    id, port), for the rows not known to have theirs.  A new row is a new
 *    peer of the service that day and a new service of the peer; the first
 *    new row of an (internal, external) pair that day is a new internal
 *    host of the peer unless the pair has a row of another port already.
 *    Certain-new rows go into multi-row INSERTs; the others one by one,
 *    with a look-up of the pair's other ports for the first of a pair.
 * The derived rows are then written once each (peer-days in multi-row
 * UPSERTs); for the others UPSERT ... RETURNING packets
 * gives back exactly the commit's packets only when the row did not exist,
 * which tells a new day of a service and a new port of a host.
 */
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "util/civil_day.h"

static inline int ok(int rc)
{
	return store_step_ok(rc) ? SQLITE_OK : rc;
}

static inline int64_t secs(uint64_t ns)
{
	return (int64_t)(ns / 1000000000ull);
}

static inline struct agg_entry *row(struct store_back *b, uint32_t i)
{
	return &b->rows.e[i];
}

/* Whether one of the row's addresses got its id in this commit: then no
 * row of the big tables can hold it from before. */
static inline bool is_fresh(const struct store_back *b, const struct agg_val *v)
{
	return (int64_t)v->n1 >= b->first_new_id || (int64_t)v->n2 >= b->first_new_id;
}

/* --- multi-row statements ------------------------------------------------ */

static void batch_start(struct store_batch *q, int many, int one, int cols)
{
	q->many = many;
	q->one = one;
	q->cols = cols;
	q->n = 0;
}

/* Write the waiting rows: one multi-row statement when the batch is full,
 * else its one-row twin per row. */
static int batch_flush(struct store_back *b)
{
	struct store_batch *q = &b->batch;
	int rc = SQLITE_OK;
	if (q->n == STORE_BATCH) {
		sqlite3_stmt *st = b->st[q->many];
		for (int r = 0; r < q->n; r++)
			for (int c = 0; c < q->cols; c++)
				sqlite3_bind_int64(st, r * q->cols + c + 1, q->v[r][c]);
		rc = ok(store_run(b, st, NULL));
	} else {
		sqlite3_stmt *st = b->st[q->one];
		for (int r = 0; r < q->n && rc == SQLITE_OK; r++) {
			for (int c = 0; c < q->cols; c++)
				sqlite3_bind_int64(st, c + 1, q->v[r][c]);
			rc = ok(store_run(b, st, NULL));
		}
	}
	q->n = 0;
	return rc;
}

static int batch_add(struct store_back *b, const int64_t *vals)
{
	struct store_batch *q = &b->batch;
	memcpy(q->v[q->n], vals, (size_t)q->cols * sizeof(*vals));
	if (++q->n < STORE_BATCH)
		return SQLITE_OK;
	return batch_flush(b);
}

/* --- the derived maps -------------------------------------------------- */

static inline struct agg_key service_key(const struct agg_key *k)
{
	struct agg_key sk = {0};
	sk.family = k->family;
	sk.port = k->port;
	memcpy(sk.a, k->a, 16);
	return sk;
}

static inline struct agg_key host_key(const struct agg_key *k)
{
	struct agg_key hk = {0};
	hk.family = k->family;
	memcpy(hk.a, k->a, 16);
	return hk;
}

static inline struct agg_key daily_service_key(const struct agg_key *k)
{
	struct agg_key dk = service_key(k);
	dk.day = k->day;
	return dk;
}

static inline struct agg_key daily_peer_key(const struct agg_key *k)
{
	struct agg_key pk = {0};
	pk.family = k->family;
	pk.day = k->day;
	memcpy(pk.b, k->b, 16);
	return pk;
}

/* A row's counts into its service, host, service-day and peer-day. */
static int aggregate(struct store_back *b, const struct agg_entry *e)
{
	struct agg_key sk = service_key(&e->k), hk = host_key(&e->k);
	struct agg_key dk = daily_service_key(&e->k), pk = daily_peer_key(&e->k);
	struct agg_val *sv = agg_map_get(&b->svc, &sk, NULL);
	struct agg_val *hv = agg_map_get(&b->host, &hk, NULL);
	struct agg_val *dv = agg_map_get(&b->dsvc, &dk, NULL);
	struct agg_val *pv = agg_map_get(&b->dpeer, &pk, NULL);
	if (!sv || !hv || !dv || !pv)
		return SQLITE_NOMEM;
	pv->n3 = e->v.n2; /* the peer's id */
	agg_val_merge_times(sv, &e->v);
	agg_val_merge_times(hv, &e->v);
	agg_val_merge_times(dv, &e->v);
	agg_val_merge_times(pv, &e->v);
	return SQLITE_OK;
}

/* --- hourly_ids ------------------------------------------------------------ */

static int write_ftp(struct store_back *b, const struct agg_key *k, const struct agg_val *v)
{
	sqlite3_stmt *st = b->st[ST_FTP];
	char day[32];
	civil_day_text(k->day, day);
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->kind == SYNACK_FTP_ACTIVE ? "active" : "passive", -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)v->packets);
	return ok(store_run(b, st, NULL));
}

/* The commit's rows in their sorted order (FTP rows, hour 0, first). */
static int write_hourly(struct store_back *b, uint32_t lim)
{
	int rc = SQLITE_OK;
	batch_start(&b->batch, ST_HOURLY_MANY, ST_HOURLY, 5);
	for (uint32_t i = 0; i < lim && rc == SQLITE_OK; i++) {
		if (i + 8 < lim)
			__builtin_prefetch(row(b, b->order[i + 8]));
		const struct agg_entry *e = row(b, b->order[i]);
		if (!e->k.family) {
			rc = write_ftp(b, &e->k, &e->v);
			continue;
		}
		int64_t v[5] = {e->k.hour, (int64_t)e->v.n1, e->k.port, (int64_t)e->v.n2,
		                (int64_t)e->v.packets};
		if ((rc = batch_add(b, v)) == SQLITE_OK)
			rc = aggregate(b, e);
	}
	return rc == SQLITE_OK ? batch_flush(b) : rc;
}

/* --- service_peer_ids -------------------------------------------------------- */

/* The service_peer_ids order: internal id, port, external id. */
static void peer_item(struct key_item *it, const struct agg_entry *e)
{
	it->k[0] = e->v.n1;
	it->k[1] = e->k.port;
	it->k[2] = e->v.n2;
}

/* The daily_service_peer_ids order: day, internal id, external id, port. */
static void daily_set_item(struct key_item *it, const struct agg_entry *e)
{
	it->k[0] = (uint32_t)e->k.day ^ 0x80000000u; /* signed order */
	it->k[1] = e->v.n1;
	it->k[2] = e->v.n2 << 16 | e->k.port;
}

/* The rows b->order[0..lim) of addresses (not FTP), all or only those not
 * known, as items in one table's key order. */
static void table_rows(struct store_back *b, uint32_t lim, bool unknown_only,
                       void (*pack)(struct key_item *, const struct agg_entry *))
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < lim; i++) {
		if (i + 8 < lim)
			__builtin_prefetch(row(b, b->order[i + 8]));
		const struct agg_entry *e = row(b, b->order[i]);
		if (!e->k.family || (unknown_only && (e->v.n3 & ROW_KNOWN)))
			continue;
		pack(&b->items[n], e);
		b->items[n++].row = b->order[i];
	}
	key_sort(b->items, b->items_tmp, n);
	b->items_n = n;
}

static inline bool same_key(const struct key_item *x, const struct key_item *y)
{
	return x->k[0] == y->k[0] && x->k[1] == y->k[1] && x->k[2] == y->k[2];
}

static void bind_peer(sqlite3_stmt *st, const struct agg_key *k, const struct agg_val *v)
{
	sqlite3_bind_int64(st, 1, (int64_t)v->n1);
	sqlite3_bind_int(st, 2, k->port);
	sqlite3_bind_int64(st, 3, (int64_t)v->n2);
	sqlite3_bind_int64(st, 4, secs(v->first_ns));
	sqlite3_bind_int64(st, 5, secs(v->last_ns));
	sqlite3_bind_int64(st, 6, (int64_t)v->packets);
}

/* A service peer that may or may not exist: INSERT OR IGNORE, and the
 * UPDATE when it existed. */
static int write_peer_one(struct store_back *b, const struct agg_key *k, const struct agg_val *v,
                          bool *new_peer)
{
	int rc;
	bind_peer(b->st[ST_PEER_INSERT], k, v);
	if ((rc = ok(store_run(b, b->st[ST_PEER_INSERT], NULL))) != SQLITE_OK)
		return rc;
	*new_peer = sqlite3_changes(b->db) == 1;
	if (*new_peer)
		return SQLITE_OK;
	bind_peer(b->st[ST_PEER_ADD], k, v);
	return ok(store_run(b, b->st[ST_PEER_ADD], NULL));
}

/* One service peer: the merged rows of items[from..to). */
static int write_peer(struct store_back *b, uint32_t from, uint32_t to)
{
	const struct agg_entry *e = row(b, b->items[from].row);
	struct agg_val m = e->v;
	bool known = (e->v.n3 & ROW_KNOWN) != 0, new_peer;
	int rc;
	for (uint32_t j = from + 1; j < to; j++) {
		const struct agg_val *v = &row(b, b->items[j].row)->v;
		agg_val_merge_times(&m, v);
		known |= (v->n3 & ROW_KNOWN) != 0;
	}
	new_peer = is_fresh(b, &m);
	if (known || new_peer) {
		int64_t v[6] = {(int64_t)m.n1,    e->k.port,       (int64_t)m.n2,
		                secs(m.first_ns), secs(m.last_ns), (int64_t)m.packets};
		rc = batch_add(b, v);
	} else {
		rc = write_peer_one(b, &e->k, &m, &new_peer);
	}
	if (rc != SQLITE_OK || !new_peer)
		return rc;
	struct agg_key sk = service_key(&e->k);
	struct agg_val *sv = agg_map_get(&b->svc, &sk, NULL);
	if (!sv)
		return SQLITE_NOMEM;
	sv->n1++; /* a new peer of the service */
	return SQLITE_OK;
}

static int write_peers(struct store_back *b, uint32_t lim)
{
	int rc = SQLITE_OK;
	table_rows(b, lim, false, peer_item);
	batch_start(&b->batch, ST_PEER_MANY, ST_PEER, 6);
	for (uint32_t i = 0; i < b->items_n && rc == SQLITE_OK;) {
		if (i + 8 < b->items_n)
			__builtin_prefetch(row(b, b->items[i + 8].row));
		uint32_t j = i + 1;
		while (j < b->items_n && same_key(&b->items[i], &b->items[j]))
			j++;
		rc = write_peer(b, i, j);
		i = j;
	}
	return rc == SQLITE_OK ? batch_flush(b) : rc;
}

/* --- daily_service_peer_ids --------------------------------------------------- */

static inline bool same_pair(const struct agg_entry *x, const struct agg_entry *y)
{
	return x->k.day == y->k.day && x->v.n1 == y->v.n1 && x->v.n2 == y->v.n2;
}

/* A daily-set row that may exist: *is_new, and for the first of its pair
 * in this commit *new_host when the pair has no row of another port. */
static int write_dsp_one(struct store_back *b, const struct agg_entry *e, bool first_of_pair,
                         bool *is_new, bool *new_host)
{
	sqlite3_stmt *ins = b->st[ST_DSP_INSERT], *other = b->st[ST_DSP_OTHER_PORT];
	int64_t found = 0;
	int rc;
	sqlite3_bind_int(ins, 1, e->k.day);
	sqlite3_bind_int64(ins, 2, (int64_t)e->v.n1);
	sqlite3_bind_int64(ins, 3, (int64_t)e->v.n2);
	sqlite3_bind_int(ins, 4, e->k.port);
	if ((rc = ok(store_run(b, ins, NULL))) != SQLITE_OK)
		return rc;
	*is_new = sqlite3_changes(b->db) == 1;
	*new_host = false;
	if (!*is_new || !first_of_pair)
		return SQLITE_OK;
	sqlite3_bind_int(other, 1, e->k.day);
	sqlite3_bind_int64(other, 2, (int64_t)e->v.n1);
	sqlite3_bind_int64(other, 3, (int64_t)e->v.n2);
	sqlite3_bind_int(other, 4, e->k.port);
	if ((rc = ok(store_run(b, other, &found))) != SQLITE_OK)
		return rc;
	*new_host = found == 0;
	return SQLITE_OK;
}

/*
 * A later row of a pair in this commit never needs the look-up: the pair's
 * first row exists by then and has another port (a row of the same port
 * and day from another hour is the same daily-set row, skipped).
 */
static int write_daily_set(struct store_back *b, uint32_t lim)
{
	const struct agg_entry *prev = NULL;
	int rc = SQLITE_OK;
	table_rows(b, lim, true, daily_set_item);
	batch_start(&b->batch, ST_DSP_MANY, ST_DSP_INSERT, 4);
	for (uint32_t i = 0; i < b->items_n && rc == SQLITE_OK; i++) {
		if (i + 8 < b->items_n)
			__builtin_prefetch(row(b, b->items[i + 8].row));
		const struct agg_entry *e = row(b, b->items[i].row);
		if (i && same_key(&b->items[i - 1], &b->items[i]))
			continue; /* the same daily-set row, another hour */
		bool first_of_pair = !prev || !same_pair(prev, e);
		bool is_new = true, new_host = first_of_pair;
		prev = e;
		if (is_fresh(b, &e->v)) {
			int64_t v[4] = {e->k.day, (int64_t)e->v.n1, (int64_t)e->v.n2, e->k.port};
			rc = batch_add(b, v);
		} else {
			rc = write_dsp_one(b, e, first_of_pair, &is_new, &new_host);
		}
		if (rc != SQLITE_OK || !is_new)
			continue;
		struct agg_key dk = daily_service_key(&e->k), pk = daily_peer_key(&e->k);
		struct agg_val *dv = agg_map_get(&b->dsvc, &dk, NULL);
		struct agg_val *pv = agg_map_get(&b->dpeer, &pk, NULL);
		if (!dv || !pv)
			return SQLITE_NOMEM;
		dv->n1++;           /* a new peer of this service today */
		pv->n1++;           /* a new service of this peer today */
		pv->n2 += new_host; /* a new internal host of this peer today */
	}
	return rc == SQLITE_OK ? batch_flush(b) : rc;
}

/* --- the derived tables ------------------------------------------------------- */

/* Daily services first: they tell which services have a new day. */
static int write_daily_services(struct store_back *b)
{
	char a[64], day[32];
	for (uint32_t i = 0; i < b->dsvc.n; i++) {
		const struct agg_key *k = &b->dsvc.e[i].k;
		const struct agg_val *v = &b->dsvc.e[i].v;
		sqlite3_stmt *st = b->st[ST_DAILY_SVC];
		int64_t r = 0;
		int rc;
		int la = (int)store_addr_text(k->family, k->a, a);
		civil_day_text(k->day, day);
		sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, a, la, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, k->port);
		sqlite3_bind_int64(st, 4, (int64_t)v->packets);
		sqlite3_bind_int64(st, 5, (int64_t)v->n1);
		if ((rc = ok(store_run(b, st, &r))) != SQLITE_OK)
			return rc;
		if ((uint64_t)r == v->packets) {
			struct agg_key sk = *k;
			sk.day = 0;
			struct agg_val *sv = agg_map_get(&b->svc, &sk, NULL);
			if (!sv)
				return SQLITE_NOMEM;
			sv->n2++;
		}
	}
	return SQLITE_OK;
}

static int write_daily_peers(struct store_back *b)
{
	int rc = SQLITE_OK;
	batch_start(&b->batch, ST_DAILY_PEER_MANY, ST_DAILY_PEER, 5);
	for (uint32_t i = 0; i < b->dpeer.n && rc == SQLITE_OK; i++) {
		const struct agg_key *k = &b->dpeer.e[i].k;
		const struct agg_val *v = &b->dpeer.e[i].v;
		int64_t row[5] = {k->day, (int64_t)v->n3 /* the peer's id */, (int64_t)v->packets,
		                  (int64_t)v->n1, (int64_t)v->n2};
		rc = batch_add(b, row);
	}
	return rc == SQLITE_OK ? batch_flush(b) : rc;
}

/* Services; a new one adds a port to its host. */
static int write_services(struct store_back *b)
{
	char a[64];
	for (uint32_t i = 0; i < b->svc.n; i++) {
		const struct agg_key *k = &b->svc.e[i].k;
		const struct agg_val *v = &b->svc.e[i].v;
		sqlite3_stmt *st = b->st[ST_SERVICE];
		int64_t r = 0;
		int rc;
		int la = (int)store_addr_text(k->family, k->a, a);
		sqlite3_bind_text(st, 1, a, la, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, k->port);
		sqlite3_bind_int64(st, 3, secs(v->first_ns));
		sqlite3_bind_int64(st, 4, secs(v->last_ns));
		sqlite3_bind_int64(st, 5, (int64_t)v->packets);
		sqlite3_bind_int64(st, 6, (int64_t)v->n1);
		sqlite3_bind_int64(st, 7, (int64_t)v->n2);
		if ((rc = ok(store_run(b, st, &r))) != SQLITE_OK)
			return rc;
		if ((uint64_t)r == v->packets) {
			struct agg_key hk = *k;
			hk.port = 0;
			struct agg_val *hv = agg_map_get(&b->host, &hk, NULL);
			if (!hv)
				return SQLITE_NOMEM;
			hv->n1++;
		}
	}
	return SQLITE_OK;
}

static int write_hosts(struct store_back *b)
{
	char a[64];
	for (uint32_t i = 0; i < b->host.n; i++) {
		const struct agg_key *k = &b->host.e[i].k;
		const struct agg_val *v = &b->host.e[i].v;
		sqlite3_stmt *st = b->st[ST_HOST];
		int rc;
		int la = (int)store_addr_text(k->family, k->a, a);
		sqlite3_bind_text(st, 1, a, la, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, secs(v->first_ns));
		sqlite3_bind_int64(st, 3, secs(v->last_ns));
		sqlite3_bind_int64(st, 4, (int64_t)v->n1);
		sqlite3_bind_int64(st, 5, (int64_t)v->packets);
		if ((rc = ok(store_run(b, st, NULL))) != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

int store_rows_write(struct store_back *b, uint32_t lim)
{
	int rc;
	agg_map_clear(&b->svc);
	agg_map_clear(&b->host);
	agg_map_clear(&b->dsvc);
	agg_map_clear(&b->dpeer);
	if ((rc = write_hourly(b, lim)) != SQLITE_OK || (rc = write_peers(b, lim)) != SQLITE_OK ||
	    (rc = write_daily_set(b, lim)) != SQLITE_OK ||
	    (rc = write_daily_services(b)) != SQLITE_OK ||
	    (rc = write_daily_peers(b)) != SQLITE_OK || (rc = write_services(b)) != SQLITE_OK)
		return rc;
	return write_hosts(b);
}
