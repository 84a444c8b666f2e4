/*
 * classify_file.c - synack-classify: runs the classifier over capture files
 * and prints counts as key=value lines (the same keys as synack-gencap's
 * answers file, without the RULE.PEERS prefix).  A test tool: the product's
 * capture ingestion is `synackd --pcap`.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_file.h"
#include "classify/classifier.h"
#include "prefix/prefix_set.h"

static const char usage[] =
    "usage: synack-classify [options] FILE...   ('-' = standard input)\n"
    "\n"
    "Classifies every frame of the capture files (pcap, pcapng) and prints\n"
    "counts as key=value lines, summed over all files:\n"
    "  files, frames, bytes, first_time_ns, last_time_ns (UTC ns)\n"
    "  not_ip, not_tcp, malformed, not_synack, wrong_direction, excluded, match\n"
    "  match.ipv4, match.ipv6, match.vlan, match.flags.0xNNN\n"
    "  match.ipv4.max1tag (IPv4 matches with at most one VLAN tag: what tcpdump's\n"
    "                   'tcp[13] ... or (vlan and tcp[13] ...)' can see)\n"
    "  synack, synack.ipv4, synack.ipv6, synack.vlan   (SYN+ACKs under the rule,\n"
    "                                   any direction: wrong_direction+excluded+match)\n"
    "  unsupported (frames of link types the classifier does not know), damaged\n"
    "  (files that ended in damage), failed (files that could not be opened)\n"
    "\n"
    "Options:\n"
    "  -i, --internal PREFIXES  internal networks (default '198.18.0.0/16,\n"
    "                           2001:db8:1::/48', synack-gencap's default)\n"
    "  -x, --exclude PREFIXES   excluded internal networks (default: none)\n"
    "  -s, --strict             strict rule: TCP byte 13 == 0x12 (default rule:\n"
    "                           (flags & 0x17) == 0x12)\n"
    "  -p, --peers external|any any: do not require an external destination\n"
    "      --read-only          only read the files (reader speed): frames, bytes\n"
    "      --print              also print each match: time_ns family src sport dst\n"
    "                           dport flags vlan (tab-separated, before the counts)\n"
    "  -h, --help               this text\n"
    "\n"
    "Exit status: 0; 1 if a file could not be opened, ended in damage, or had\n"
    "frames of an unsupported link type (a message on stderr names the file and\n"
    "the reason; what was read before is counted); 2 for usage errors.\n";

static const char *res_key[CLASSIFY_RESULT_COUNT] = {
    [CLASSIFY_NOT_IP] = "not_ip",
    [CLASSIFY_NOT_TCP] = "not_tcp",
    [CLASSIFY_MALFORMED] = "malformed",
    [CLASSIFY_NOT_SYNACK] = "not_synack",
    [CLASSIFY_WRONG_DIRECTION] = "wrong_direction",
    [CLASSIFY_EXCLUDED] = "excluded",
    [CLASSIFY_MATCH] = "match",
};

static struct {
	uint64_t files, frames, bytes, failed, damaged, unsupported;
	uint64_t first_ns, last_ns;
	uint64_t res[CLASSIFY_RESULT_COUNT];
	uint64_t match_v4, match_v6, match_vlan, match_v4_bpf;
	uint64_t synack, synack_v4, synack_v6, synack_vlan;
	uint64_t flags[4096];
} n;

static void print_tuple(uint64_t t, const struct classify_tuple *tp)
{
	char s[64], d[64];
	int af = tp->family == 6 ? AF_INET6 : AF_INET;
	inet_ntop(af, tp->saddr, s, sizeof(s));
	inet_ntop(af, tp->daddr, d, sizeof(d));
	printf("%" PRIu64 "\t%u\t%s\t%u\t%s\t%u\t0x%03x\t%u\n", t, tp->family, s, tp->sport, d,
	       tp->dport, tp->flags, tp->vlan_count ? tp->vlan[0] : 0);
}

static bool read_only;

static int run_file(const char *path, const struct classify_policy *pol, bool print)
{
	char err[512];
	struct capture_file *c = capture_open(path, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "synack-classify: %s\n", err);
		n.failed++;
		return 1;
	}
	n.files++;
	int rc = 0;
	struct capture_frame f;
	enum capture_status s;
	int bad_lt = -1;
	uint64_t bad_lt_frames = 0;
	while ((s = capture_next(c, &f)) == CAPTURE_FRAME) {
		if (n.frames == 0 || f.time_ns < n.first_ns)
			n.first_ns = f.time_ns;
		if (f.time_ns > n.last_ns)
			n.last_ns = f.time_ns;
		n.frames++;
		n.bytes += f.caplen;
		if (read_only)
			continue;
		if (!classify_linktype_supported(f.linktype)) {
			if (bad_lt < 0)
				bad_lt = f.linktype;
			bad_lt_frames++;
			n.unsupported++;
			continue;
		}
		struct classify_tuple t;
		memset(&t, 0, sizeof(t));
		enum classify_result r = classify_frame(pol, f.linktype, f.data, f.caplen, &t);
		if ((unsigned)r >= CLASSIFY_RESULT_COUNT) {
			fprintf(stderr, "synack-classify: %s: classifier returned %d\n", path,
			        (int)r);
			return 1;
		}
		n.res[r]++;
		if (r == CLASSIFY_MATCH || r == CLASSIFY_WRONG_DIRECTION ||
		    r == CLASSIFY_EXCLUDED) {
			n.synack++;
			n.synack_v4 += t.family == 4;
			n.synack_v6 += t.family == 6;
			n.synack_vlan += t.vlan_count > 0;
		}
		if (r != CLASSIFY_MATCH)
			continue;
		n.match_v4 += t.family == 4;
		n.match_v6 += t.family == 6;
		n.match_vlan += t.vlan_count > 0;
		n.match_v4_bpf += t.family == 4 && t.vlan_count <= 1;
		n.flags[t.flags & 0xfff]++;
		if (print)
			print_tuple(f.time_ns, &t);
	}
	if (bad_lt >= 0) {
		const char *name = capture_linktype_name(bad_lt);
		fprintf(stderr,
		        "synack-classify: %s: unsupported link type %s (%d): %" PRIu64
		        " frames not classified\n",
		        path, name ? name : "unknown", bad_lt, bad_lt_frames);
		rc = 1;
	}
	if (s == CAPTURE_ERROR) {
		fprintf(stderr,
		        "synack-classify: %s (damaged file; %" PRIu64
		        " bytes read, frames before the damage are counted)\n",
		        capture_error(c), capture_offset(c));
		n.damaged++;
		rc = 1;
	}
	capture_close(c);
	return rc;
}

int main(int argc, char **argv)
{
	const char *internal_text = "198.18.0.0/16, 2001:db8:1::/48";
	const char *exclude_text = NULL;
	bool strict = false, peers_any = false, print = false;
	static const struct option lo[] = {
	    {"internal", required_argument, 0, 'i'}, {"exclude", required_argument, 0, 'x'},
	    {"strict", no_argument, 0, 's'},         {"peers", required_argument, 0, 'p'},
	    {"print", no_argument, 0, 'P'},          {"help", no_argument, 0, 'h'},
	    {"read-only", no_argument, 0, 'R'},      {0, 0, 0, 0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "i:x:sp:h", lo, NULL)) != -1) {
		switch (o) {
		case 'i':
			internal_text = optarg;
			break;
		case 'x':
			exclude_text = optarg;
			break;
		case 's':
			strict = true;
			break;
		case 'p':
			if (!strcmp(optarg, "any"))
				peers_any = true;
			else if (!strcmp(optarg, "external"))
				peers_any = false;
			else {
				fprintf(stderr,
				        "synack-classify: --peers must be 'external' or 'any'\n");
				return 2;
			}
			break;
		case 'P':
			print = true;
			break;
		case 'R':
			read_only = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	char err[512];
	struct prefix_set *internal = prefix_set_parse(internal_text, err, sizeof(err));
	if (!internal) {
		fprintf(stderr, "synack-classify: --internal: %s\n", err);
		return 2;
	}
	struct prefix_set *excluded = NULL;
	if (exclude_text) {
		excluded = prefix_set_parse(exclude_text, err, sizeof(err));
		if (!excluded) {
			fprintf(stderr, "synack-classify: --exclude: %s\n", err);
			prefix_set_free(internal);
			return 2;
		}
	}
	struct classify_policy pol = {
	    .internal = internal,
	    .excluded = excluded,
	    .strict = strict,
	    .peers_any = peers_any,
	};
	int rc = 0;
	for (int i = optind; i < argc; i++)
		rc |= run_file(argv[i], &pol, print);

	printf("files=%" PRIu64 "\n", n.files);
	printf("frames=%" PRIu64 "\n", n.frames);
	printf("bytes=%" PRIu64 "\n", n.bytes);
	printf("first_time_ns=%" PRIu64 "\n", n.first_ns);
	printf("last_time_ns=%" PRIu64 "\n", n.last_ns);
	for (int r = 0; r < CLASSIFY_RESULT_COUNT; r++)
		printf("%s=%" PRIu64 "\n", res_key[r] ? res_key[r] : "unknown", n.res[r]);
	printf("match.ipv4=%" PRIu64 "\n", n.match_v4);
	printf("match.ipv6=%" PRIu64 "\n", n.match_v6);
	printf("match.vlan=%" PRIu64 "\n", n.match_vlan);
	printf("match.ipv4.max1tag=%" PRIu64 "\n", n.match_v4_bpf);
	for (int fl = 0; fl < 4096; fl++)
		if (n.flags[fl])
			printf("match.flags.0x%03x=%" PRIu64 "\n", fl, n.flags[fl]);
	printf("synack=%" PRIu64 "\n", n.synack);
	printf("synack.ipv4=%" PRIu64 "\n", n.synack_v4);
	printf("synack.ipv6=%" PRIu64 "\n", n.synack_v6);
	printf("synack.vlan=%" PRIu64 "\n", n.synack_vlan);
	printf("unsupported=%" PRIu64 "\n", n.unsupported);
	printf("damaged=%" PRIu64 "\n", n.damaged);
	printf("failed=%" PRIu64 "\n", n.failed);
	prefix_set_free(internal);
	prefix_set_free(excluded);
	return rc;
}
