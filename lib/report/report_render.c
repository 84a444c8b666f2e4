/*
 * report_render.c - the report as text, csv, json and html (doc/reports.md).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "control/json_out.h"
#include "report/report.h"

static const char *const wday[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

static const char *svc_or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* --- text -------------------------------------------------------------- */

static void text_header(const struct report *r, FILE *out)
{
	if (!r->ndays) {
		fprintf(out, "synack report: no data (time zone %s)\n", r->tz);
		return;
	}
	fprintf(out, "synack report %s .. %s: %u day%s, time zone %s (days from the %s tables)\n",
	        r->from, r->to, r->ndays, r->ndays == 1 ? "" : "s", r->tz, r->source);
}

int report_write_text(const struct report *r, FILE *out)
{
	text_header(r, out);

	fprintf(out, "\nSummary\n");
	fprintf(out, "  %-36s %12s %12s %12s %14s %12s\n", "", "total", "min", "max", "mean",
	        "median");
	for (int i = 0; i < REPORT_NSTATS; i++) {
		const struct report_stat *s = &r->stats[i];
		fprintf(out, "  %-36s %12.0f %12.0f %12.0f %14.1f %12.1f\n", s->name ? s->name : "",
		        s->total, s->min, s->max, s->mean, s->median);
	}
	fprintf(out,
	        "  hosts seen every day: %u of %u; first seen in the period: %u "
	        "(before it: %u)\n",
	        r->hosts_every_day, r->hosts_total, r->new_total, r->hosts_before);

	fprintf(out, "\nDaily figures (Fig. 1 packets, Fig. 2 hosts, Fig. 4 new hosts, "
	             "Fig. 5 external hosts; * weekend)\n");
	fprintf(out, "  %-10s %-4s %12s %7s %8s %6s %10s %5s %10s\n", "date", "day", "packets",
	        "hosts", "services", "ports", "externals", "new", "cumulative");
	for (uint32_t d = 0; d < r->ndays; d++) {
		const struct report_day *x = &r->days[d];
		char wd[8];
		snprintf(wd, sizeof(wd), "%s%s", wday[x->weekday], x->weekend ? "*" : "");
		fprintf(out, "  %-10s %-4s %12llu %7u %8u %6u %10u %5u %10llu\n", x->date, wd,
		        (unsigned long long)x->packets, x->hosts, x->services, x->ports,
		        x->externals, x->new_hosts, (unsigned long long)x->cumulative);
	}

	fprintf(out, "\nDays detected (Fig. 3): %u hosts seen on all %u days; the others:\n",
	        r->hosts_every_day, r->ndays);
	fprintf(out, "  %5s %7s\n", "days", "hosts");
	for (uint32_t i = 0; i < r->nhist; i++)
		fprintf(out, "  %5u %7u\n", r->days_hist[i].key, r->days_hist[i].hosts);

	fprintf(out, "\nTop ports by internal hosts (Table 1)\n");
	fprintf(out, "  %5s %-16s %7s %10s %10s\n", "port", "service", "hosts", "every day",
	        "externals");
	for (uint32_t i = 0; i < r->nby_hosts; i++) {
		const struct report_port *p = &r->by_hosts[i];
		fprintf(out, "  %5d %-16s %7u %10u %10u\n", p->port, svc_or_dash(p->service),
		        p->hosts, p->hosts_every_day, p->externals);
	}

	fprintf(out, "\nTop ports by external hosts (Table 2)\n");
	fprintf(out, "  %5s %-16s %10s %7s\n", "port", "service", "externals", "hosts");
	for (uint32_t i = 0; i < r->nby_ext; i++) {
		const struct report_port *p = &r->by_ext[i];
		fprintf(out, "  %5d %-16s %10u %7u\n", p->port, svc_or_dash(p->service),
		        p->externals, p->hosts);
	}

	fprintf(out, "\nOpen ports per host (Table 3)\n");
	fprintf(out, "  %5s %7s\n", "ports", "hosts");
	for (uint32_t i = 0; i < r->nports_hist; i++)
		fprintf(out, "  %5u %7u\n", r->ports_hist[i].key, r->ports_hist[i].hosts);

	fprintf(out, "\nTop external sources per day (share of the day's SYN+ACKs)\n");
	fprintf(out, "  %-10s %4s %-39s %12s %7s\n", "date", "rank", "external host", "packets",
	        "share");
	for (uint32_t d = 0; d < r->ndays; d++) {
		const struct report_day *x = &r->days[d];
		for (uint32_t i = 0; i < x->ntop; i++)
			fprintf(out, "  %-10s %4u %-39s %12llu %6.1f%%\n", i ? "" : x->date, i + 1,
			        x->top[i].addr, (unsigned long long)x->top[i].packets,
			        100.0 * x->top[i].share);
	}

	fprintf(out, "\nHosts with more than %d open ports (tarpits, SYN proxies)\n",
	        r->many_ports);
	if (!r->nmany)
		fprintf(out, "  none\n");
	else
		fprintf(out, "  %-39s %6s %5s %12s\n", "internal host", "ports", "days", "packets");
	for (uint32_t i = 0; i < r->nmany; i++)
		fprintf(out, "  %-39s %6u %5u %12llu\n", r->many[i].addr, r->many[i].ports,
		        r->many[i].days, (unsigned long long)r->many[i].packets);
	return ferror(out) ? -1 : 0;
}

/* --- csv --------------------------------------------------------------- */

/* Fields never contain commas or quotes except stat names (no commas). */
int report_write_csv(const struct report *r, FILE *out)
{
	fprintf(out, "# report\nkey,value\n");
	fprintf(out, "from,%s\nto,%s\ndays,%u\ntimezone,%s\nsource,%s\n", r->from, r->to, r->ndays,
	        r->tz, r->source ? r->source : "");
	fprintf(out, "hosts_total,%u\nhosts_every_day,%u\nnew_hosts,%u\nhosts_before,%u\n",
	        r->hosts_total, r->hosts_every_day, r->new_total, r->hosts_before);
	fprintf(out,
	        "packets_total,%llu\nexternals_total,%llu\nservices_total,%llu\n"
	        "ports_total,%u\ntop,%d\nmany_ports,%d\nsources,%d\n",
	        (unsigned long long)r->packets_total, (unsigned long long)r->externals_total,
	        (unsigned long long)r->services_total, r->ports_total, r->top, r->many_ports,
	        r->sources);

	fprintf(out, "\n# summary\nname,total,min,max,mean,median\n");
	for (int i = 0; i < REPORT_NSTATS; i++) {
		const struct report_stat *s = &r->stats[i];
		fprintf(out, "%s,%.0f,%.0f,%.0f,%.3f,%.1f\n", s->name ? s->name : "", s->total,
		        s->min, s->max, s->mean, s->median);
	}

	fprintf(out, "\n# days\ndate,weekday,weekend,packets,hosts,services,ports,externals,"
	             "new_hosts,cumulative_hosts\n");
	for (uint32_t d = 0; d < r->ndays; d++) {
		const struct report_day *x = &r->days[d];
		fprintf(out, "%s,%s,%d,%llu,%u,%u,%u,%u,%u,%llu\n", x->date, wday[x->weekday],
		        x->weekend, (unsigned long long)x->packets, x->hosts, x->services, x->ports,
		        x->externals, x->new_hosts, (unsigned long long)x->cumulative);
	}

	fprintf(out, "\n# days_detected\ndays,hosts\n");
	for (uint32_t i = 0; i < r->nhist; i++)
		fprintf(out, "%u,%u\n", r->days_hist[i].key, r->days_hist[i].hosts);

	fprintf(out, "\n# ports_by_hosts\nrank,port,service,hosts,hosts_every_day,externals\n");
	for (uint32_t i = 0; i < r->nby_hosts; i++) {
		const struct report_port *p = &r->by_hosts[i];
		fprintf(out, "%u,%d,%s,%u,%u,%u\n", i + 1, p->port, p->service, p->hosts,
		        p->hosts_every_day, p->externals);
	}

	fprintf(out, "\n# ports_by_externals\nrank,port,service,externals,hosts\n");
	for (uint32_t i = 0; i < r->nby_ext; i++) {
		const struct report_port *p = &r->by_ext[i];
		fprintf(out, "%u,%d,%s,%u,%u\n", i + 1, p->port, p->service, p->externals,
		        p->hosts);
	}

	fprintf(out, "\n# ports_per_host\nports,hosts\n");
	for (uint32_t i = 0; i < r->nports_hist; i++)
		fprintf(out, "%u,%u\n", r->ports_hist[i].key, r->ports_hist[i].hosts);

	fprintf(out, "\n# top_sources\ndate,rank,addr,packets,share\n");
	for (uint32_t d = 0; d < r->ndays; d++)
		for (uint32_t i = 0; i < r->days[d].ntop; i++)
			fprintf(out, "%s,%u,%s,%llu,%.6f\n", r->days[d].date, i + 1,
			        r->days[d].top[i].addr,
			        (unsigned long long)r->days[d].top[i].packets,
			        r->days[d].top[i].share);

	fprintf(out, "\n# many_ports_hosts\naddr,ports,days,packets\n");
	for (uint32_t i = 0; i < r->nmany; i++)
		fprintf(out, "%s,%u,%u,%llu\n", r->many[i].addr, r->many[i].ports, r->many[i].days,
		        (unsigned long long)r->many[i].packets);
	return ferror(out) ? -1 : 0;
}

/* --- json -------------------------------------------------------------- */

static void json_port(struct json_out *j, const struct report_port *p, uint32_t rank)
{
	json_out_object_begin(j, NULL);
	json_out_u64(j, "rank", rank);
	json_out_i64(j, "port", p->port);
	if (p->service[0])
		json_out_string(j, "service", p->service);
	else
		json_out_null(j, "service");
	json_out_u64(j, "hosts", p->hosts);
	json_out_u64(j, "hosts_every_day", p->hosts_every_day);
	json_out_u64(j, "externals", p->externals);
	json_out_object_end(j);
}

int report_write_json(const struct report *r, FILE *out)
{
	struct json_out j;
	json_out_init(&j);
	json_out_object_begin(&j, NULL);
	if (r->ndays) {
		json_out_string(&j, "from", r->from);
		json_out_string(&j, "to", r->to);
	} else {
		json_out_null(&j, "from");
		json_out_null(&j, "to");
	}
	json_out_u64(&j, "days", r->ndays);
	json_out_string(&j, "timezone", r->tz);
	json_out_string(&j, "database_timezone", r->db_tz);
	json_out_string(&j, "source", r->source ? r->source : "");
	json_out_i64(&j, "top", r->top);
	json_out_i64(&j, "many_ports", r->many_ports);
	json_out_i64(&j, "sources", r->sources);

	json_out_object_begin(&j, "totals");
	json_out_u64(&j, "packets", r->packets_total);
	json_out_u64(&j, "hosts", r->hosts_total);
	json_out_u64(&j, "hosts_every_day", r->hosts_every_day);
	json_out_u64(&j, "new_hosts", r->new_total);
	json_out_u64(&j, "hosts_before", r->hosts_before);
	json_out_u64(&j, "externals", r->externals_total);
	json_out_u64(&j, "services", r->services_total);
	json_out_u64(&j, "ports", r->ports_total);
	json_out_object_end(&j);

	json_out_array_begin(&j, "summary");
	for (int i = 0; i < REPORT_NSTATS; i++) {
		const struct report_stat *s = &r->stats[i];
		json_out_object_begin(&j, NULL);
		json_out_string(&j, "name", s->name ? s->name : "");
		json_out_double(&j, "total", s->total);
		json_out_double(&j, "min", s->min);
		json_out_double(&j, "max", s->max);
		json_out_double(&j, "mean", s->mean);
		json_out_double(&j, "median", s->median);
		json_out_object_end(&j);
	}
	json_out_array_end(&j);

	json_out_array_begin(&j, "daily");
	for (uint32_t d = 0; d < r->ndays; d++) {
		const struct report_day *x = &r->days[d];
		json_out_object_begin(&j, NULL);
		json_out_string(&j, "date", x->date);
		json_out_string(&j, "weekday", wday[x->weekday]);
		json_out_bool(&j, "weekend", x->weekend);
		json_out_u64(&j, "packets", x->packets);
		json_out_u64(&j, "hosts", x->hosts);
		json_out_u64(&j, "services", x->services);
		json_out_u64(&j, "ports", x->ports);
		json_out_u64(&j, "externals", x->externals);
		json_out_u64(&j, "new_hosts", x->new_hosts);
		json_out_u64(&j, "cumulative_hosts", x->cumulative);
		json_out_array_begin(&j, "top_sources");
		for (uint32_t i = 0; i < x->ntop; i++) {
			json_out_object_begin(&j, NULL);
			json_out_string(&j, "addr", x->top[i].addr);
			json_out_u64(&j, "packets", x->top[i].packets);
			json_out_double(&j, "share", x->top[i].share);
			json_out_object_end(&j);
		}
		json_out_array_end(&j);
		json_out_object_end(&j);
	}
	json_out_array_end(&j);

	json_out_array_begin(&j, "days_detected");
	for (uint32_t i = 0; i < r->nhist; i++) {
		json_out_object_begin(&j, NULL);
		json_out_u64(&j, "days", r->days_hist[i].key);
		json_out_u64(&j, "hosts", r->days_hist[i].hosts);
		json_out_object_end(&j);
	}
	json_out_array_end(&j);

	json_out_array_begin(&j, "ports_by_hosts");
	for (uint32_t i = 0; i < r->nby_hosts; i++)
		json_port(&j, &r->by_hosts[i], i + 1);
	json_out_array_end(&j);
	json_out_array_begin(&j, "ports_by_externals");
	for (uint32_t i = 0; i < r->nby_ext; i++)
		json_port(&j, &r->by_ext[i], i + 1);
	json_out_array_end(&j);

	json_out_array_begin(&j, "ports_per_host");
	for (uint32_t i = 0; i < r->nports_hist; i++) {
		json_out_object_begin(&j, NULL);
		json_out_u64(&j, "ports", r->ports_hist[i].key);
		json_out_u64(&j, "hosts", r->ports_hist[i].hosts);
		json_out_object_end(&j);
	}
	json_out_array_end(&j);

	json_out_array_begin(&j, "many_ports_hosts");
	for (uint32_t i = 0; i < r->nmany; i++) {
		json_out_object_begin(&j, NULL);
		json_out_string(&j, "addr", r->many[i].addr);
		json_out_u64(&j, "ports", r->many[i].ports);
		json_out_u64(&j, "days", r->many[i].days);
		json_out_u64(&j, "packets", r->many[i].packets);
		json_out_object_end(&j);
	}
	json_out_array_end(&j);
	json_out_object_end(&j);
	int ret = 0;
	if (j.failed)
		ret = -1;
	else {
		fwrite(j.buf, 1, j.len, out);
		fputc('\n', out);
	}
	json_out_free(&j);
	return ret || ferror(out) ? -1 : 0;
}

/* --- html -------------------------------------------------------------- */

static void esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

/* An axis for values 0..v: about 5 ticks of 1, 2, 2.5 or 5 x 10^k (at
 * least 1: the values are counts). */
static double nice_step(double raw)
{
	if (raw <= 1)
		return 1;
	double e = pow(10, floor(log10(raw))), f = raw / e;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * e;
}

static void nice_axis(double v, double *top, int *ticks)
{
	if (v <= 0) {
		*top = 5;
		*ticks = 5;
		return;
	}
	double step = nice_step(v / 5);
	*ticks = (int)ceil(v / step - 1e-9);
	if (*ticks < 1)
		*ticks = 1;
	*top = step * *ticks;
}

static void compact(double v, char out[32])
{
	double a = fabs(v);
	if (a >= 1e9)
		snprintf(out, 32, "%.3gG", v / 1e9);
	else if (a >= 1e6)
		snprintf(out, 32, "%.3gM", v / 1e6);
	else if (a >= 1e4)
		snprintf(out, 32, "%.3gk", v / 1e3);
	else if (a == floor(a))
		snprintf(out, 32, "%.0f", v);
	else
		snprintf(out, 32, "%.2g", v);
}

struct chart {
	const char *id, *title, *ylabel;
	uint32_t n;
	const char *const *labels; /* n */
	const double *values;      /* n */
	const bool *alt;           /* n or NULL: weekend colour */
	const double *line;        /* n or NULL */
	const char *line_label;
	bool line_own_axis; /* right-hand axis for the line */
	const char *bar_label, *alt_label;
};

enum { CW = 1000, CH = 300, ML = 70, MR = 70, MT = 36, MB = 64 };

static void chart_svg(FILE *out, const struct chart *c)
{
	const double pw = CW - ML - MR, ph = CH - MT - MB;
	double vmax = 0, lmax = 0;
	for (uint32_t i = 0; i < c->n; i++) {
		if (c->values[i] > vmax)
			vmax = c->values[i];
		if (c->line && c->line[i] > lmax)
			lmax = c->line[i];
	}
	if (c->line && !c->line_own_axis && lmax > vmax)
		vmax = lmax;
	double ymax, lymax;
	int ticks;
	nice_axis(vmax, &ymax, &ticks);
	/* the line's own axis shares the grid: the same number of ticks */
	lymax = c->line_own_axis ? nice_step(lmax / ticks) * ticks : ymax;
	char num[32];

	fprintf(out, "<figure class=\"chart\" id=\"%s\">\n", c->id);
	fprintf(out,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
	        "role=\"img\" aria-label=\"",
	        CW, CH);
	esc(out, c->title);
	fprintf(out, "\">\n<text x=\"%d\" y=\"20\" class=\"title\">", ML);
	esc(out, c->title);
	fputs("</text>\n", out);
	/* grid and left axis */
	for (int t = 0; t <= ticks; t++) {
		double y = MT + ph - ph * t / ticks;
		compact(ymax * t / ticks, num);
		fprintf(out,
		        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" class=\"grid\"/>"
		        "<text x=\"%d\" y=\"%.1f\" class=\"ytick\">%s</text>\n",
		        ML, y, ML + pw, y, ML - 6, y + 4, num);
		if (c->line && c->line_own_axis) {
			compact(lymax * t / ticks, num); /* same grid, its own scale */
			fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" class=\"ytick2\">%s</text>\n",
			        ML + pw + 6, y + 4, num);
		}
	}
	fprintf(out,
	        "<text x=\"14\" y=\"%.0f\" class=\"ylabel\" transform=\"rotate(-90 14 %.0f)\">",
	        MT + ph / 2, MT + ph / 2);
	esc(out, c->ylabel);
	fputs("</text>\n", out);
	if (!c->n) {
		fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" class=\"empty\">no data</text>\n",
		        ML + pw / 2, MT + ph / 2);
	}
	/* bars */
	double slot = c->n ? pw / c->n : pw;
	double bw = slot * 0.8 < 1 ? 1 : slot * 0.8 > 48 ? 48 : slot * 0.8;
	for (uint32_t i = 0; i < c->n; i++) {
		double h = ph * c->values[i] / ymax;
		double x = ML + slot * i + (slot - bw) / 2;
		bool alt = c->alt && c->alt[i];
		fprintf(
		    out,
		    "<rect class=\"bar%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
		    "<title>",
		    alt ? " alt" : "", x, MT + ph - h, bw, h);
		esc(out, c->labels[i]);
		fprintf(out, ": %.0f</title></rect>\n", c->values[i]);
	}
	/* x labels: at most ~40 */
	uint32_t step = c->n > 40 ? (c->n + 39) / 40 : 1;
	for (uint32_t i = 0; i < c->n; i += step) {
		double x = ML + slot * i + slot / 2;
		fprintf(out,
		        "<text class=\"xtick\" x=\"%.1f\" y=\"%.0f\" transform=\"rotate(-50 %.1f "
		        "%.0f)\">",
		        x, MT + ph + 12, x, MT + ph + 12);
		esc(out, c->labels[i]);
		fputs("</text>\n", out);
	}
	/* line */
	if (c->line && c->n) {
		fputs("<polyline class=\"line\" points=\"", out);
		for (uint32_t i = 0; i < c->n; i++)
			fprintf(out, "%.1f,%.1f ", ML + slot * i + slot / 2,
			        MT + ph - ph * c->line[i] / lymax);
		fputs("\"/>\n", out);
		for (uint32_t i = 0; i < c->n; i++)
			fprintf(
			    out,
			    "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"><title>%.0f"
			    "</title></circle>\n",
			    ML + slot * i + slot / 2, MT + ph - ph * c->line[i] / lymax,
			    c->line[i]);
	}
	fprintf(out, "<line x1=\"%d\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" class=\"axis\"/>\n", ML,
	        MT + ph, ML + pw, MT + ph);
	/* legend */
	double lx = ML + pw - 330;
	fprintf(out,
	        "<rect class=\"bar\" x=\"%.0f\" y=\"8\" width=\"12\" height=\"12\"/>"
	        "<text x=\"%.0f\" y=\"18\" class=\"legend\">",
	        lx, lx + 16);
	esc(out, c->bar_label);
	fputs("</text>\n", out);
	if (c->alt) {
		fprintf(out,
		        "<rect class=\"bar alt\" x=\"%.0f\" y=\"8\" width=\"12\" height=\"12\"/>"
		        "<text x=\"%.0f\" y=\"18\" class=\"legend\">",
		        lx + 110, lx + 126);
		esc(out, c->alt_label);
		fputs("</text>\n", out);
	}
	if (c->line) {
		fprintf(out,
		        "<line class=\"line\" x1=\"%.0f\" y1=\"14\" x2=\"%.0f\" y2=\"14\"/>"
		        "<text x=\"%.0f\" y=\"18\" class=\"legend\">",
		        lx + 200, lx + 220, lx + 224);
		esc(out, c->line_label);
		fputs(c->line_own_axis ? " (right axis)" : "", out);
		fputs("</text>\n", out);
	}
	fputs("</svg>\n</figure>\n", out);
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\n"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;"
    "border-bottom:1px solid #ccc;padding-bottom:.2em}\n"
    ".meta{color:#555}\n"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.9em}\n"
    "th,td{padding:.2em .7em;border-bottom:1px solid #e4e4e4;text-align:right}\n"
    "th{background:#f3f4f6}td.l,th.l{text-align:left}\n"
    "tr.we td{background:#fff5e6}\n"
    ".chart{margin:1em 0}\n"
    "svg{font-size:11px;background:#fff}\n"
    "svg .title{font-size:14px;font-weight:600}\n"
    "svg .bar{fill:#3b6fb6}svg .bar.alt{fill:#e8913a}\n"
    "svg .grid{stroke:#e6e6e6}svg .axis{stroke:#555}\n"
    "svg .ytick{text-anchor:end;fill:#444}svg .ytick2{text-anchor:start;fill:#a33}\n"
    "svg .xtick{text-anchor:end;fill:#444;font-size:10px}\n"
    "svg .ylabel{text-anchor:middle;fill:#444}\n"
    "svg .line{fill:none;stroke:#c0392b;stroke-width:2}svg .dot{fill:#c0392b}\n"
    "svg .legend{fill:#333}svg .empty{text-anchor:middle;fill:#999;font-size:16px}\n"
    ".cols{display:flex;flex-wrap:wrap;gap:2em}\n"
    "@media print{body{margin:0;max-width:none;font-size:10pt}"
    ".chart,table{page-break-inside:avoid;break-inside:avoid}"
    "h2{page-break-after:avoid;break-after:avoid}}\n";

static void th_row(FILE *out, const char *const *cols, int n, int left)
{
	fputs("<tr>", out);
	for (int i = 0; i < n; i++)
		fprintf(out, "<th%s>%s</th>", i < left ? " class=\"l\"" : "", cols[i]);
	fputs("</tr>\n", out);
}

int report_write_html(const struct report *r, FILE *out)
{
	uint32_t n = r->ndays;
	const char **labels = calloc((size_t)n + 1, sizeof(char *));
	double *v = calloc((size_t)n + 1, sizeof(double));
	double *l = calloc((size_t)n + 1, sizeof(double));
	bool *we = calloc((size_t)n + 1, sizeof(bool));
	if (!labels || !v || !l || !we) {
		free(labels);
		free(v);
		free(l);
		free(we);
		return -1;
	}
	for (uint32_t d = 0; d < n; d++) {
		labels[d] = r->days[d].date;
		we[d] = r->days[d].weekend;
	}

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      out);
	if (n)
		fprintf(out, "synack report %s .. %s", r->from, r->to);
	else
		fputs("synack report: no data", out);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
	if (n)
		fprintf(out, "<h1>synack report %s .. %s</h1>\n", r->from, r->to);
	else
		fputs("<h1>synack report: no data</h1>\n", out);
	fprintf(out, "<p class=\"meta\">%u day%s, time zone ", n, n == 1 ? "" : "s");
	esc(out, r->tz);
	fprintf(out,
	        " (days from the %s tables). Passive inventory of open TCP ports from "
	        "SYN+ACKs sent by internal hosts.</p>\n",
	        r->source ? r->source : "");

	/* summary */
	fputs("<h2>Summary</h2>\n<table id=\"summary\">\n", out);
	static const char *const sc[] = {"", "total", "min", "max", "mean", "median"};
	th_row(out, sc, 6, 1);
	for (int i = 0; i < REPORT_NSTATS; i++) {
		const struct report_stat *s = &r->stats[i];
		fputs("<tr><td class=\"l\">", out);
		esc(out, s->name);
		fprintf(
		    out,
		    "</td><td>%.0f</td><td>%.0f</td><td>%.0f</td><td>%.1f</td><td>%.1f</td></tr>\n",
		    s->total, s->min, s->max, s->mean, s->median);
	}
	fputs("</table>\n", out);
	fprintf(out,
	        "<p>Hosts seen every day: <b>%u</b> of %u. First seen in the period: <b>%u</b> "
	        "(known before it: %u).</p>\n",
	        r->hosts_every_day, r->hosts_total, r->new_total, r->hosts_before);

	/* Figures 1, 2, 4 and 5: a bar per day of v, weekends in their own colour */
	const struct chart per_day = {.n = n,
	                              .labels = labels,
	                              .values = v,
	                              .alt = we,
	                              .bar_label = "weekday",
	                              .alt_label = "weekend"};
	struct chart c;
	/* Fig. 1 */
	for (uint32_t d = 0; d < n; d++)
		v[d] = (double)r->days[d].packets;
	c = per_day;
	c.id = "fig1";
	c.title = "Fig. 1 - SYN+ACK packets per day";
	c.ylabel = "SYN+ACKs";
	fputs("<h2>Daily SYN+ACK packets</h2>\n", out);
	chart_svg(out, &c);

	/* Fig. 2 */
	for (uint32_t d = 0; d < n; d++) {
		v[d] = r->days[d].hosts;
		l[d] = r->hosts_every_day;
	}
	c = per_day;
	c.id = "fig2";
	c.title = "Fig. 2 - internal hosts with open ports per day";
	c.ylabel = "hosts";
	c.line = l;
	c.line_label = "seen every day";
	fputs("<h2>Internal hosts per day</h2>\n", out);
	chart_svg(out, &c);

	/* Fig. 3 */
	uint32_t nh = r->nhist;
	const char **hlabels = calloc((size_t)nh + 1, sizeof(char *));
	double *hv = calloc((size_t)nh + 1, sizeof(double));
	char(*hbuf)[12] = calloc((size_t)nh + 1, 12);
	if (hlabels && hv && hbuf) {
		for (uint32_t i = 0; i < nh; i++) {
			snprintf(hbuf[i], 12, "%u", r->days_hist[i].key);
			hlabels[i] = hbuf[i];
			hv[i] = r->days_hist[i].hosts;
		}
		c = (struct chart){.id = "fig3",
		                   .title = "Fig. 3 - hosts not seen every day: days detected",
		                   .ylabel = "hosts",
		                   .n = nh,
		                   .labels = hlabels,
		                   .values = hv,
		                   .bar_label = "hosts"};
		fputs("<h2>Days detected</h2>\n", out);
		fprintf(out,
		        "<p>Hosts seen on all %u days: %u; the chart shows the other %u.</p>\n", n,
		        r->hosts_every_day, r->hosts_total - r->hosts_every_day);
		chart_svg(out, &c);
	}
	free(hlabels);
	free(hv);
	free(hbuf);

	/* Fig. 4 */
	for (uint32_t d = 0; d < n; d++) {
		v[d] = r->days[d].new_hosts;
		l[d] = (double)r->days[d].cumulative;
	}
	c = per_day;
	c.id = "fig4";
	c.title = "Fig. 4 - new hosts per day (first seen ever)";
	c.ylabel = "new hosts";
	c.line = l;
	c.line_label = "cumulative";
	c.line_own_axis = true;
	fputs("<h2>New hosts</h2>\n", out);
	chart_svg(out, &c);

	/* Fig. 5 */
	for (uint32_t d = 0; d < n; d++)
		v[d] = r->days[d].externals;
	c = per_day;
	c.id = "fig5";
	c.title = "Fig. 5 - distinct external hosts per day";
	c.ylabel = "external hosts";
	fputs("<h2>External hosts per day</h2>\n", out);
	chart_svg(out, &c);

	/* daily table */
	fputs("<h2>Daily figures</h2>\n<table id=\"daily\">\n", out);
	static const char *const dc[] = {"date",           "day",       "packets",
	                                 "hosts",          "services",  "ports",
	                                 "external hosts", "new hosts", "cumulative"};
	th_row(out, dc, 9, 2);
	for (uint32_t d = 0; d < n; d++) {
		const struct report_day *x = &r->days[d];
		fprintf(
		    out,
		    "<tr%s><td class=\"l\">%s</td><td class=\"l\">%s</td><td>%llu</td><td>%u</td>"
		    "<td>%u</td><td>%u</td><td>%u</td><td>%u</td><td>%llu</td></tr>\n",
		    x->weekend ? " class=\"we\"" : "", x->date, wday[x->weekday],
		    (unsigned long long)x->packets, x->hosts, x->services, x->ports, x->externals,
		    x->new_hosts, (unsigned long long)x->cumulative);
	}
	fputs("</table>\n", out);

	/* Tables 1-3 */
	fputs("<div class=\"cols\"><div>\n<h2>Table 1 - top ports by internal hosts</h2>\n"
	      "<table id=\"table1\">\n",
	      out);
	static const char *const t1[] = {"port", "service", "hosts", "every day", "external hosts"};
	th_row(out, t1, 5, 2);
	for (uint32_t i = 0; i < r->nby_hosts; i++) {
		const struct report_port *p = &r->by_hosts[i];
		fprintf(out, "<tr><td class=\"l\">%d</td><td class=\"l\">", p->port);
		esc(out, svc_or_dash(p->service));
		fprintf(out, "</td><td>%u</td><td>%u</td><td>%u</td></tr>\n", p->hosts,
		        p->hosts_every_day, p->externals);
	}
	fputs("</table>\n</div><div>\n<h2>Table 2 - top ports by external hosts</h2>\n"
	      "<table id=\"table2\">\n",
	      out);
	static const char *const t2[] = {"port", "service", "external hosts", "internal hosts"};
	th_row(out, t2, 4, 2);
	for (uint32_t i = 0; i < r->nby_ext; i++) {
		const struct report_port *p = &r->by_ext[i];
		fprintf(out, "<tr><td class=\"l\">%d</td><td class=\"l\">", p->port);
		esc(out, svc_or_dash(p->service));
		fprintf(out, "</td><td>%u</td><td>%u</td></tr>\n", p->externals, p->hosts);
	}
	fputs("</table>\n</div><div>\n<h2>Table 3 - open ports per host</h2>\n"
	      "<table id=\"table3\">\n",
	      out);
	static const char *const t3[] = {"open ports", "hosts"};
	th_row(out, t3, 2, 0);
	for (uint32_t i = 0; i < r->nports_hist; i++)
		fprintf(out, "<tr><td>%u</td><td>%u</td></tr>\n", r->ports_hist[i].key,
		        r->ports_hist[i].hosts);
	fputs("</table>\n</div></div>\n", out);

	/* top sources */
	fputs("<h2>Top external hosts per day</h2>\n<p>Share of the day's SYN+ACKs sent to each "
	      "external host: one or two scanners can make most of a day.</p>\n"
	      "<table id=\"sources\">\n",
	      out);
	static const char *const ts[] = {"date", "rank", "external host", "packets", "share"};
	th_row(out, ts, 5, 3);
	for (uint32_t d = 0; d < n; d++) {
		const struct report_day *x = &r->days[d];
		for (uint32_t i = 0; i < x->ntop; i++) {
			fprintf(
			    out,
			    "<tr%s><td class=\"l\">%s</td><td class=\"l\">%u</td><td class=\"l\">",
			    x->weekend ? " class=\"we\"" : "", i ? "" : x->date, i + 1);
			esc(out, x->top[i].addr);
			fprintf(out, "</td><td>%llu</td><td>%.1f %%</td></tr>\n",
			        (unsigned long long)x->top[i].packets, 100.0 * x->top[i].share);
		}
	}
	fputs("</table>\n", out);

	fprintf(out,
	        "<h2>Hosts with more than %d open ports</h2>\n<p>Tarpits and SYN proxies "
	        "answer on every port.</p>\n",
	        r->many_ports);
	if (!r->nmany) {
		fputs("<p id=\"many\">None.</p>\n", out);
	} else {
		fputs("<table id=\"many\">\n", out);
		static const char *const tm[] = {"internal host", "open ports", "days", "packets"};
		th_row(out, tm, 4, 1);
		for (uint32_t i = 0; i < r->nmany; i++) {
			fputs("<tr><td class=\"l\">", out);
			esc(out, r->many[i].addr);
			fprintf(out, "</td><td>%u</td><td>%u</td><td>%llu</td></tr>\n",
			        r->many[i].ports, r->many[i].days,
			        (unsigned long long)r->many[i].packets);
		}
		fputs("</table>\n", out);
	}
	fputs("</body>\n</html>\n", out);
	free(labels);
	free(v);
	free(l);
	free(we);
	return ferror(out) ? -1 : 0;
}
