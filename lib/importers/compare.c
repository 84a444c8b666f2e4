/*
 * compare.c - passive inventory against active scans (see compare.h).
 */
#include "importers/compare.h"

#include <stdlib.h>
#include <string.h>

const char *cmp_status_name(enum cmp_status st)
{
	switch (st) {
	case CMP_BOTH:
		return "both";
	case CMP_PASSIVE_ONLY:
		return "passive_only";
	case CMP_NOT_SCANNED:
		return "not_scanned";
	case CMP_ACTIVE_ONLY:
		return "active_only";
	default:
		return "?";
	}
}

static int cmp_key(const struct scan_addr *a, uint16_t pa, const struct scan_addr *b, uint16_t pb)
{
	int c = scan_addr_cmp(a, b);
	if (c)
		return c;
	return (pa > pb) - (pa < pb);
}

static int cmp_passive_q(const void *x, const void *y)
{
	const struct cmp_passive *a = x, *b = y;
	return cmp_key(&a->addr, a->port, &b->addr, b->port);
}

void cmp_sort_passive(struct cmp_passive *p, size_t *n)
{
	if (*n == 0)
		return;
	qsort(p, *n, sizeof(*p), cmp_passive_q);
	size_t o = 0;
	for (size_t i = 0; i < *n; i++) {
		if (o && cmp_passive_q(&p[o - 1], &p[i]) == 0) {
			struct cmp_passive *d = &p[o - 1];
			if (p[i].first_seen < d->first_seen)
				d->first_seen = p[i].first_seen;
			if (p[i].last_seen > d->last_seen)
				d->last_seen = p[i].last_seen;
			d->packets += p[i].packets;
			continue;
		}
		p[o++] = p[i];
	}
	*n = o;
}

static const struct cmp_row *sort_rows;

static int cmp_row_port(const void *x, const void *y)
{
	const struct cmp_row *a = &sort_rows[*(const size_t *)x];
	const struct cmp_row *b = &sort_rows[*(const size_t *)y];
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return scan_addr_cmp(&a->addr, &b->addr);
}

static enum cmp_status group_status(const struct cmp_group *g, bool covered)
{
	if (g->passive && g->active)
		return CMP_BOTH;
	if (g->active)
		return CMP_ACTIVE_ONLY;
	return covered ? CMP_PASSIVE_ONLY : CMP_NOT_SCANNED;
}

static void count(struct cmp_counts *c, const struct cmp_group *g)
{
	if (g->passive)
		c->passive++;
	if (g->active)
		c->active++;
	c->n[g->status]++;
}

static void add_to_group(struct cmp_group *g, const struct cmp_row *r)
{
	if (r->passive)
		g->passive++;
	if (r->active)
		g->active++;
	if (r->passive && r->active)
		g->both++;
}

int cmp_run(const struct cmp_passive *passive, size_t npassive, const struct scan_set *scans,
            struct cmp_result *out)
{
	memset(out, 0, sizeof(*out));
	size_t cap = npassive + scans->nsvc;
	out->rows = calloc(cap ? cap : 1, sizeof(*out->rows));
	if (!out->rows)
		return -1;
	size_t i = 0, j = 0;
	while (i < npassive || j < scans->nsvc) {
		struct cmp_row *r = &out->rows[out->nrows++];
		int c;
		if (i >= npassive)
			c = 1;
		else if (j >= scans->nsvc)
			c = -1;
		else
			c = cmp_key(&passive[i].addr, passive[i].port, &scans->svc[j].addr,
			            scans->svc[j].port);
		if (c <= 0) {
			r->addr = passive[i].addr;
			r->port = passive[i].port;
			r->passive = &passive[i++];
		}
		if (c >= 0) {
			r->addr = scans->svc[j].addr;
			r->port = scans->svc[j].port;
			r->active = &scans->svc[j++];
		}
		if (r->passive && r->active)
			r->status = CMP_BOTH;
		else if (r->active)
			r->status = CMP_ACTIVE_ONLY;
		else
			r->status = scan_covered(scans, &r->addr, r->port) ? CMP_PASSIVE_ONLY
			                                                   : CMP_NOT_SCANNED;
		out->services.n[r->status]++;
		if (r->passive)
			out->services.passive++;
		if (r->active)
			out->services.active++;
	}
	/* hosts: rows are in address order */
	out->hosts = calloc(out->nrows ? out->nrows : 1, sizeof(*out->hosts));
	size_t *idx = calloc(out->nrows ? out->nrows : 1, sizeof(*idx));
	out->ports = calloc(out->nrows ? out->nrows : 1, sizeof(*out->ports));
	if (!out->hosts || !idx || !out->ports) {
		free(idx);
		cmp_free(out);
		return -1;
	}
	for (size_t k = 0; k < out->nrows; k++) {
		const struct cmp_row *r = &out->rows[k];
		if (!out->nhosts ||
		    scan_addr_cmp(&out->hosts[out->nhosts - 1].addr, &r->addr) != 0) {
			struct cmp_group *g = &out->hosts[out->nhosts++];
			g->addr = r->addr;
		}
		add_to_group(&out->hosts[out->nhosts - 1], r);
	}
	for (size_t k = 0; k < out->nhosts; k++) {
		struct cmp_group *g = &out->hosts[k];
		g->status = group_status(g, scan_host_covered(scans, &g->addr));
		count(&out->host_counts, g);
	}
	for (size_t k = 0; k < out->nrows; k++)
		idx[k] = k;
	sort_rows = out->rows;
	qsort(idx, out->nrows, sizeof(*idx), cmp_row_port);
	for (size_t k = 0; k < out->nrows; k++) {
		const struct cmp_row *r = &out->rows[idx[k]];
		if (!out->nports || out->ports[out->nports - 1].port != r->port) {
			struct cmp_group *g = &out->ports[out->nports++];
			g->port = r->port;
		}
		add_to_group(&out->ports[out->nports - 1], r);
	}
	free(idx);
	for (size_t k = 0; k < out->nports; k++) {
		struct cmp_group *g = &out->ports[k];
		g->status = group_status(g, scan_port_covered(scans, g->port));
		count(&out->port_counts, g);
	}
	return 0;
}

void cmp_free(struct cmp_result *r)
{
	free(r->rows);
	free(r->hosts);
	free(r->ports);
	memset(r, 0, sizeof(*r));
}
