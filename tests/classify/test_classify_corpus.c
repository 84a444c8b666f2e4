/*
 * test_classify_corpus.c - the classifier on the real captures in the corpus.
 *
 * With internal = 0.0.0.0/0 and ::/0 and peers_any, every SYN+ACK the
 * classifier recognises is a MATCH, so the count per file can be compared
 * with the number written below.  The numbers come from the corpus
 * MANIFEST.tsv (tshark's SYN+ACKs with flags & 0x17 == 0x12), checked by
 * hand, with synack's documented differences: SYN+ACKs inside tunnels
 * (VXLAN, GRE, 6in4) are not decoded, FDDI is not a supported link type,
 * and libpcap stops early in the 126-interface pcapng (not checked).
 * Link types are passed as pcap_datalink() gives them (DLT_RAW = 12).  "strict" is the same
 * count under tcp[13] == 0x12.  Usage: test_classify_corpus [corpus-dir]
 * (default $SYNACK_CORPUS); exits 77 (skip) without a corpus.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "classify/classifier.h"
#include "prefix/prefix_set.h"

struct expect {
	const char *file;
	int def, strict;
	const char *why; /* when it differs from the manifest */
};

static const struct expect expects[] = {
    {"scan/ndpi__tcp_scan.pcapng", 2, 2, NULL},
    {"scan/esnet__scanners__nmap__nmap_80_vanilla.pcap", 3, 3, NULL},
    {"scan/esnet__scanners__masscan__tcp_0_1000_20190821.pcap", 0, 0, NULL},
    {"scan/zeek__nmap-vsn.pcap", 3, 3, NULL},
    {"scan/pathspider__icmp_ttl.pcap", 279, 279, NULL},
    {"ftp/zeek__ftp__ipv4.pcap", 5, 5, NULL},
    {"ftp/zeek__ftp__bruteforce.pcap", 30, 30, NULL},
    {"ftp/zeek__ftp__ftp-many-port-expected.pcap", 1, 1, NULL},
    {"ftp/ndpi__ftp.pcap", 3, 3, NULL},
    {"ftp/suricata__ftp__ftp-download-active__input.pcap", 4, 4, NULL},
    {"ftp/suricata__ftp__ftp-download-passive__input.pcap", 4, 4, NULL},
    {"ftp/suricata__ftp__ftp-upload-active__input.pcap", 4, 4, NULL},
    {"ftp/suricata__firewall__ruletype-firewall-116-ftp-all-data-ipv4__input.pcap", 16, 16, NULL},
    {"ftp/suricata__ftp-epsv__input.pcap", 1, 1, NULL},
    {"ftp/suricata__detect-ftp__ftp-mode-02__input.pcap", 1, 1, NULL},
    {"ftp/suricata__ftp__ftp-bounce__test.pcap", 2, 2, NULL},
    {"vlan-encap/zeek__http-vlan-0.pcap", 1, 1, NULL},
    {"vlan-encap/zeek__http-qinq-0.pcap", 1, 1, NULL},
    {"vlan-encap/ndpi__mongodb.pcap", 6, 5, NULL},
    {"vlan-encap/zeek__pppoe-over-qinq.pcap", 1, 1, NULL},
    {"vlan-encap/suricata__bug-814__input.pcap", 1, 1, NULL},
    {"vlan-encap/zeek__tunnels__vxlan-encapsulated-http.pcap", 0, 0, "inside VXLAN"},
    {"vlan-encap/zeek__tunnels__gre-sample.pcap", 0, 0, "inside GRE"},
    {"vlan-encap/ndpi__6in4tunnel.pcap", 0, 0, "inside 6in4 (IP proto 41)"},
    {"ipv6/ndpi__reddit.pcap", 60, 60, NULL},
    {"ipv6/zeek__ipv6-http-atomic-frag.pcap", 4, 4, NULL},
    {"ipv6/zeek__redis__reply-off-on-2conn.pcap", 2, 2, NULL},
    {"ecn/pathspider__tcp_ipv4_ecn.pcap", 1, 0, NULL},
    {"ecn/pathspider__tcp_ipv6_ecn.pcap", 1, 0, NULL},
    {"linktype/tcpdump__tcp-handshake-nano.pcap", 1, 1, NULL},
    {"linktype/zeek__http__get-to-ssh-server.pcap", 1, 1, NULL},
    {"linktype/zeek__nflog-http.pcap", 1, 1, NULL},
    {"linktype/zeek__tcp__payload-synack.pcap", 1, 1, NULL},
    {"linktype/zeek__telnet-auth-missing-name.pcap", 1, 1, NULL},
    {"linktype/zeek__dns-inverse-query.pcap", 0, 0, "FDDI is not supported"},
    {"linktype/tcpdump__mptcp-v1.pcap", 1, 1, NULL},
    {"edge/suricata__bug-1450-04__tls_DER-incomplete-header.pcap", 1, 1, NULL},
    {"edge/suricata__smtp-to-comma__10.7.29.101_49898-178.63.41.150_25.pcap", 1, 1, NULL},
    {"edge/tcpdump__tcp_eight_lowest_weight_flags_set.pcap", 0, 0, NULL},
    {"edge/tcpdump__babel_update_oobr.pcap", 2, 0, NULL}, /* tcp[13] == 0xb2 */
    {"edge/ndpi__tls_multiple_synack_different_seq.pcapng", 4, 4, NULL},
    {"general/ndpi__ethereum.pcap", 53, 53, NULL},
    {"general/suricata__tls__tls-subjectaltname__input.pcap", 67, 67, NULL},
    {"general/zeek__ssh__ssh.pcap", 24, 24, NULL},
    {"general/zeek__smtp.pcap", 3, 3, NULL},
};

/* Count MATCHes in one file under both policies; -1 if libpcap refuses it. */
static int count_file(const char *path, const struct classify_policy *def,
                      const struct classify_policy *strict, int *ndef, int *nstrict, int *linktype)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	*ndef = *nstrict = 0;
	if (p == NULL) {
		fprintf(stderr, "  %s: %s\n", path, errbuf);
		return -1;
	}
	*linktype = pcap_datalink(p);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		/* copy into an exactly-sized buffer for ASan */
		uint8_t *buf = malloc(h->caplen ? h->caplen : 1);
		struct classify_tuple t;
		memcpy(buf, data, h->caplen);
		if (classify_frame(def, *linktype, buf, h->caplen, &t) == CLASSIFY_MATCH)
			(*ndef)++;
		if (classify_frame(strict, *linktype, buf, h->caplen, &t) == CLASSIFY_MATCH)
			(*nstrict)++;
		free(buf);
	}
	/* rc == -1: a damaged file; what was read before the damage counts */
	pcap_close(p);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("SYNACK_CORPUS");
	char err[256], path[4096];

	if (dir == NULL) {
		fprintf(stderr, "no corpus (set SYNACK_CORPUS): skipped\n");
		return 77;
	}
	snprintf(path, sizeof(path), "%s/MANIFEST.tsv", dir);
	FILE *probe = fopen(path, "r");
	if (probe == NULL) {
		fprintf(stderr, "no corpus at %s: skipped\n", dir);
		return 77;
	}
	fclose(probe);

	struct prefix_set *all = prefix_set_parse("0.0.0.0/0, ::/0", err, sizeof(err));
	struct classify_policy def = {all, NULL, false, true};
	struct classify_policy strict = {all, NULL, true, true};
	int total = 0;

	for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++) {
		const struct expect *e = &expects[i];
		int nd, ns, lt = -1;
		snprintf(path, sizeof(path), "%s/%s", dir, e->file);
		if (count_file(path, &def, &strict, &nd, &ns, &lt) != 0) {
			check_at(0, e->file, __FILE__, __LINE__);
			continue;
		}
		check_at(nd == e->def && ns == e->strict, e->file, __FILE__, __LINE__);
		fprintf(stderr, "%-72s linktype %3d: %3d SYN+ACK (strict %3d)%s%s%s\n", e->file, lt,
		        nd, ns, nd != e->def || ns != e->strict ? " MISMATCH" : "",
		        e->why ? " - " : "", e->why ? e->why : "");
		if (nd != e->def || ns != e->strict)
			fprintf(stderr, "  want %d (strict %d)\n", e->def, e->strict);
		total += nd;
	}
	/* libpcap refuses this one (interfaces with differing snaplens) */
	snprintf(path, sizeof(path), "%s/linktype/zeek__ldap__gap-data-missing.pcapng", dir);
	{
		int nd, ns, lt;
		int rc = count_file(path, &def, &strict, &nd, &ns, &lt);
		if (rc)
			fprintf(stderr, "%-72s refused by libpcap\n",
			        "linktype/zeek__ldap__gap-data-missing.pcapng");
		else
			fprintf(stderr, "%-72s %d SYN+ACK before libpcap stopped (not checked)\n",
			        "linktype/zeek__ldap__gap-data-missing.pcapng", nd);
	}
	fprintf(stderr, "corpus: %d SYN+ACKs in %zu files\n", total,
	        sizeof(expects) / sizeof(expects[0]));
	prefix_set_free(all);
	return check_done("test_classify_corpus");
}
