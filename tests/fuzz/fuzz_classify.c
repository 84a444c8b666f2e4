/*
 * fuzz_classify.c - libFuzzer target: classify_frame() on arbitrary bytes.
 *
 * The first input byte picks the link type and policy; the rest is the
 * frame, copied into an exactly-sized buffer so ASan sees any read past
 * len.  Build with -Dfuzz=true (clang), run e.g.
 *   build-fuzz/tests/classify/fuzz_classify -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classifier.h"
#include "classify/classifier_inline.h"
#include "prefix/prefix_set.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct prefix_set *internal, *excluded;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int lts[] = {LINKTYPE_ETHERNET,
	                          LINKTYPE_RAW,
	                          LINKTYPE_NULL,
	                          LINKTYPE_LOOP,
	                          LINKTYPE_IPV4,
	                          LINKTYPE_IPV6,
	                          LINKTYPE_LINUX_SLL,
	                          LINKTYPE_LINUX_SLL2,
	                          LINKTYPE_NFLOG,
	                          12,
	                          14,
	                          6};
	if (internal == NULL) {
		char err[128];
		internal = prefix_set_parse("0.0.0.0/1, 192.0.0.0/2, 2000::/3", err, sizeof(err));
		excluded = prefix_set_parse("10.0.0.0/8, 2001:db8::/32", err, sizeof(err));
	}
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	struct classify_policy pol = {internal, (sel & 0x10) ? excluded : NULL, (sel & 0x20) != 0,
	                              (sel & 0x40) != 0};
	int lt = lts[(sel & 0x0f) % (sizeof(lts) / sizeof(lts[0]))];
	size_t n = size - 1;
	uint8_t *buf = malloc(n ? n : 1);
	memcpy(buf, data + 1, n);
	const uint8_t *p = n ? buf : buf + 1;
	struct classify_tuple t;
	enum classify_result r = classify_frame(&pol, lt, p, n, &t);
	if ((unsigned)r >= CLASSIFY_RESULT_COUNT)
		abort();
	if (r == CLASSIFY_MATCH && ((t.family != 4 && t.family != 6) || t.vlan_count > 4))
		abort();
	if (lt == LINKTYPE_ETHERNET && classify_ethernet_inline(&pol, p, n, NULL) != r)
		abort();
	if (r == CLASSIFY_MATCH) {
		struct synack_record rec;
		classify_tuple_to_record(&t, 1, 0, &rec);
	}
	free(buf);
	return 0;
}
