/*
 * fuzz_nmap.c - libFuzzer target for the nmap XML importer,
 * scan_parse_nmap() on arbitrary bytes (see fuzz_scan.h).
 *
 *   build-fuzz/tests/fuzz/fuzz_nmap -max_total_time=60 CORPUS_DIR
 */
#include "fuzz_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_scan(scan_parse_nmap, data, size);
}
