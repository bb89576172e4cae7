// SPDX-License-Identifier: MIT
/* The capture reader of `replay` (pcap and pcapng through libpcap, plus
 * bpfstep's own checks): the input is the file. It is read through a
 * memfd, so the reader sees a regular file of that size. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpfstep/pcap.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz.pcap", 0);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct bs_pcap_reader *r = NULL;
	struct bs_error err;
	if (bs_pcap_open(path, &r, &err)) {
		fuzz_check_error(&err);
	} else {
		struct bs_pcap_packet pkt;
		int rc;
		uint64_t sum = 0, done, total;
		while ((rc = bs_pcap_next(r, &pkt, &err)) == 1) {
			for (size_t i = 0; i < pkt.size; i++)
				sum += pkt.data[i];
			bs_pcap_progress(r, &done, &total);
		}
		if (rc < 0)
			fuzz_check_error(&err);
		(void)bs_pcap_linktype(r);
		bs_pcap_close(r);
		if (sum == 1)  /* keeps the reads of every byte */
			fputc(0, stderr);
	}
	close(fd);
	return 0;
}
