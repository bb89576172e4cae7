// SPDX-License-Identifier: MIT
/* The pcap reader and writer (loader/pcap.c) over the captures
 * examples/make_pcaps.py writes: every link type and file flavour reads the
 * same frames, broken files give errors naming the packet and offset, and
 * bs_pcap_replay_to leaves the maps as the packets before N left them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfstep/pcap.h"
#include "testutil.h"

#define DATA(name) BS_SOURCE_DIR "/tests/data/pcap/" name
#define FIREWALL_PCAP BS_SOURCE_DIR "/examples/xdp_firewall.pcap"
#define FIREWALL_OBJ BS_EXAMPLES_OBJ_DIR "/xdp_firewall.bpf.o"

/* the frames of examples/xdp_firewall.pcap, as the reader gives them */
struct frames {
	uint8_t data[16][128];
	size_t size[16];
	uint64_t ts_sec[16];
	uint32_t ts_usec[16];
	size_t n;
};

static int read_all(const char *path, struct frames *f, struct bs_error *err)
{
	struct bs_pcap_reader *r;
	memset(f, 0, sizeof(*f));
	if (bs_pcap_open(path, &r, err))
		return -1;
	struct bs_pcap_packet p;
	int rc;
	while ((rc = bs_pcap_next(r, &p, err)) == 1) {
		assert_true(f->n < 16);
		assert_int_equal(p.index, f->n + 1);
		assert_true(p.size <= sizeof(f->data[0]));
		memcpy(f->data[f->n], p.data, p.size);
		f->size[f->n] = p.size;
		f->ts_sec[f->n] = p.ts_sec;
		f->ts_usec[f->n] = p.ts_usec;
		f->n++;
	}
	bs_pcap_close(r);
	return rc;
}

static void test_pcap_reads_frames(void **state)
{
	(void)state;
	struct bs_error err;
	struct bs_pcap_reader *r;
	assert_int_equal(bs_pcap_open(FIREWALL_PCAP, &r, &err), 0);
	assert_int_equal(bs_pcap_linktype(r), BS_PCAP_LINK_ETHERNET);
	assert_int_equal(bs_pcap_snaplen(r), 65535);
	struct bs_pcap_packet p;
	assert_int_equal(bs_pcap_next(r, &p, &err), 1);
	assert_int_equal(p.index, 1);
	assert_int_equal(p.offset, 24);  /* right after the file header */
	assert_int_equal(p.size, 54);
	assert_int_equal(p.caplen, 54);
	assert_int_equal(p.len, 54);
	assert_int_equal(p.ts_sec, 1700000000);
	assert_int_equal(p.ts_usec, 0);
	assert_false(p.synthetic_eth);
	/* 192.0.2.66, the address the firewall example blocks */
	static const uint8_t src[4] = {192, 0, 2, 66};
	assert_memory_equal(p.data + 26, src, 4);
	assert_int_equal(bs_pcap_next(r, &p, &err), 1);
	assert_int_equal(p.index, 2);
	assert_int_equal(p.offset, 24 + 16 + 54);
	assert_int_equal(p.ts_usec, 1000);
	uint64_t done, total;
	bs_pcap_progress(r, &done, &total);
	assert_int_equal(total, 598);
	assert_int_equal(done, 24 + 2 * (16 + 54));
	bs_pcap_close(r);

	struct frames f;
	assert_int_equal(read_all(FIREWALL_PCAP, &f, &err), 0);
	assert_int_equal(f.n, 8);
}

/* pcapng, big-endian pcap and nanosecond pcap hold the same frames */
static void test_pcap_flavours_agree(void **state)
{
	(void)state;
	struct bs_error err;
	static struct frames base, other;
	assert_int_equal(read_all(FIREWALL_PCAP, &base, &err), 0);
	const char *const files[] = {DATA("firewall.pcapng"), DATA("firewall_be.pcap"),
				     DATA("firewall_ns.pcap")};
	for (size_t k = 0; k < 3; k++) {
		assert_int_equal(read_all(files[k], &other, &err), 0);
		assert_int_equal(other.n, base.n);
		for (size_t i = 0; i < base.n; i++) {
			assert_int_equal(other.size[i], base.size[i]);
			assert_memory_equal(other.data[i], base.data[i], base.size[i]);
			assert_int_equal(other.ts_sec[i], base.ts_sec[i]);
			assert_int_equal(other.ts_usec[i], base.ts_usec[i]);
		}
	}
}

/* raw IP and cooked captures get the Ethernet header the frames had */
static void test_pcap_synthetic_ethernet(void **state)
{
	(void)state;
	struct bs_error err;
	static struct frames base, raw, v4, sll;
	assert_int_equal(read_all(FIREWALL_PCAP, &base, &err), 0);
	assert_int_equal(read_all(DATA("raw_ip.pcap"), &raw, &err), 0);
	assert_int_equal(read_all(DATA("ipv4.pcap"), &v4, &err), 0);
	assert_int_equal(read_all(DATA("sll.pcap"), &sll, &err), 0);
	assert_int_equal(raw.n, 5);
	assert_int_equal(v4.n, 4);
	assert_int_equal(sll.n, 3);
	static const uint8_t zero[12];
	for (size_t i = 0; i < raw.n; i++) {
		assert_int_equal(raw.size[i], base.size[i]);
		assert_memory_equal(raw.data[i], zero, 12);
		/* the EtherType from the IP version: packet 5 is IPv6 */
		assert_memory_equal(raw.data[i] + 12, base.data[i] + 12, base.size[i] - 12);
	}
	for (size_t i = 0; i < v4.n; i++)
		assert_memory_equal(v4.data[i] + 12, base.data[i] + 12, base.size[i] - 12);
	for (size_t i = 0; i < sll.n; i++) {
		assert_int_equal(sll.size[i], base.size[i]);
		assert_memory_equal(sll.data[i], zero, 6);
		/* the cooked header's source address */
		assert_memory_equal(sll.data[i] + 6, base.data[i] + 6, base.size[i] - 6);
	}
	struct bs_pcap_reader *r;
	struct bs_pcap_packet p;
	assert_int_equal(bs_pcap_open(DATA("raw_ip.pcap"), &r, &err), 0);
	assert_int_equal(bs_pcap_linktype(r), BS_PCAP_LINK_RAW);
	assert_int_equal(bs_pcap_next(r, &p, &err), 1);
	assert_true(p.synthetic_eth);
	assert_int_equal(p.caplen, 40);
	assert_int_equal(p.size, 54);
	bs_pcap_close(r);
}

/* the program sees what was captured; the wire length says what was cut */
static void test_pcap_snaplen_and_short(void **state)
{
	(void)state;
	struct bs_error err;
	struct bs_pcap_reader *r;
	struct bs_pcap_packet p;
	assert_int_equal(bs_pcap_open(DATA("snaplen.pcap"), &r, &err), 0);
	assert_int_equal(bs_pcap_snaplen(r), 34);
	assert_int_equal(bs_pcap_next(r, &p, &err), 1);
	assert_int_equal(p.caplen, 34);
	assert_int_equal(p.size, 34);
	assert_int_equal(p.len, 54);
	bs_pcap_close(r);

	static struct frames f;
	assert_int_equal(read_all(DATA("zero_len.pcap"), &f, &err), 0);
	assert_int_equal(f.n, 4);
	assert_int_equal(f.size[0], 54);
	assert_int_equal(f.size[1], 0);
	assert_int_equal(f.size[2], 10);
	assert_int_equal(f.size[3], 54);

	assert_int_equal(read_all(DATA("empty.pcap"), &f, &err), 0);
	assert_int_equal(f.n, 0);
}

/* a broken file: the packets before the damage, then an error naming the
 * packet and where its record starts; no reading on after it */
static void test_pcap_broken_files(void **state)
{
	(void)state;
	struct bs_error err;
	struct bs_pcap_reader *r;
	struct bs_pcap_packet p;
	const struct {
		const char *path;
		int good;       /* packets read before the error */
		long offset;    /* where the bad record starts */
	} cases[] = {
		{DATA("truncated.pcap"), 2, 24 + 2 * 16 + 54 + 54},
		{DATA("truncated_header.pcap"), 2, 24 + 2 * 16 + 54 + 54},
		{DATA("bad_caplen.pcap"), 1, 24 + 16 + 54},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		assert_int_equal(bs_pcap_open(cases[k].path, &r, &err), 0);
		for (int i = 0; i < cases[k].good; i++)
			assert_int_equal(bs_pcap_next(r, &p, &err), 1);
		memset(&err, 0, sizeof(err));
		assert_int_equal(bs_pcap_next(r, &p, &err), -1);
		assert_int_equal(err.kind, BS_ERR_PARSE);
		char want[64];
		snprintf(want, sizeof(want), "packet %d", cases[k].good + 1);
		assert_non_null(strstr(err.message, want));
		snprintf(want, sizeof(want), "offset %ld", cases[k].offset);
		assert_non_null(strstr(err.hint[0] ? err.hint : err.message, want));
		assert_int_equal(bs_pcap_next(r, &p, &err), -1);
		bs_pcap_close(r);
	}

	r = (struct bs_pcap_reader *)&p;
	assert_int_equal(bs_pcap_open(DATA("corrupt.pcap"), &r, &err), -1);
	assert_null(r);
	assert_int_equal(err.kind, BS_ERR_PARSE);
	assert_non_null(strstr(err.message, "corrupt.pcap"));
	assert_int_equal(bs_pcap_open(DATA("no_such_file.pcap"), &r, &err), -1);
	assert_int_equal(err.kind, BS_ERR_IO);
	assert_int_equal(bs_pcap_open(DATA("wifi.pcap"), &r, &err), -1);
	assert_int_equal(err.kind, BS_ERR_UNSUPPORTED);
	assert_non_null(strstr(err.message, "105"));
}

static void test_pcap_write_read_back(void **state)
{
	(void)state;
	struct bs_error err;
	char path[] = "/tmp/bs_test_pcap_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct bs_pcap_writer *w;
	uint8_t frame[300];
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	assert_int_equal(bs_pcap_create(path, &w, &err), 0);
	assert_int_equal(bs_pcap_write(w, 5, 6, frame, 60, 0, &err), 0);     /* wire raised */
	assert_int_equal(bs_pcap_write(w, 7, 8, frame, 300, 1500, &err), 0);
	assert_int_equal(bs_pcap_write(w, 9, 10, frame, 0, 0, &err), 0);
	assert_int_equal(bs_pcap_writer_close(w, &err), 0);
	struct bs_pcap_reader *r;
	struct bs_pcap_packet p;
	assert_int_equal(bs_pcap_open(path, &r, &err), 0);
	assert_int_equal(bs_pcap_linktype(r), BS_PCAP_LINK_ETHERNET);
	assert_int_equal(bs_pcap_next(r, &p, &err), 1);
	assert_int_equal(p.size, 60);
	assert_int_equal(p.len, 60);
	assert_int_equal(p.ts_sec, 5);
	assert_int_equal(p.ts_usec, 6);
	assert_memory_equal(p.data, frame, 60);
	assert_int_equal(bs_pcap_next(r, &p, &err), 1);
	assert_int_equal(p.size, 300);
	assert_int_equal(p.len, 1500);
	assert_memory_equal(p.data, frame, 300);
	assert_int_equal(bs_pcap_next(r, &p, &err), 1);
	assert_int_equal(p.size, 0);
	assert_int_equal(bs_pcap_next(r, &p, &err), 0);
	bs_pcap_close(r);
	unlink(path);
	assert_int_equal(bs_pcap_create("/nonexistent-dir/x.pcap", &w, &err), -1);
	assert_int_equal(err.kind, BS_ERR_IO);
}

static void test_pcap_fit_ctx(void **state)
{
	(void)state;
	uint32_t xdp[6] = {0, 99, 0, 3, 0, 0};
	bs_pcap_fit_ctx(BS_PROG_XDP, xdp, sizeof(xdp), 74);
	assert_int_equal(xdp[1], 74);
	assert_int_equal(xdp[3], 3);
	uint32_t skb[4] = {0, 99, 0, 0};
	bs_pcap_fit_ctx(BS_PROG_SCHED_CLS, skb, sizeof(skb), 74);
	assert_int_equal(skb[1], 99);
}

/* packets 1..4 of the firewall capture leave two drops of 192.0.2.66 in
 * the map (packets 1 and 4); packet 5 comes back unrun */
static void test_pcap_replay_to(void **state)
{
	(void)state;
	struct bs_error err;
	struct bs_object *obj;
	const struct bs_prog *prog;
	struct bs_maps *maps;
	assert_int_equal(bs_object_open(FIREWALL_OBJ, &obj, &err), 0);
	assert_int_equal(bs_object_find_prog(obj, NULL, &prog, &err), 0);
	assert_int_equal(bs_object_create_maps(obj, 1, &maps, &err), 0);
	struct bs_map *blocked = bs_maps_find(maps, "blocked");
	assert_non_null(blocked);
	const uint8_t key[4] = {192, 0, 2, 66};
	uint64_t zero = 0, count = 0;
	assert_int_equal(bs_map_update(blocked, key, &zero, 0), 0);
	uint8_t *data;
	size_t size;
	uint64_t failed = 7;
	assert_int_equal(bs_pcap_replay_to(FIREWALL_PCAP, 5, prog, maps, NULL, &data, &size,
					   &failed, &err), 0);
	assert_int_equal(failed, 0);
	assert_int_equal(bs_map_lookup(blocked, key, &count), 0);
	assert_int_equal(count, 2);
	static struct frames f;
	assert_int_equal(read_all(FIREWALL_PCAP, &f, &err), 0);
	assert_int_equal(size, f.size[4]);
	assert_memory_equal(data, f.data[4], size);
	free(data);
	/* packet 1: nothing runs */
	assert_int_equal(bs_pcap_replay_to(FIREWALL_PCAP, 1, prog, maps, NULL, &data, &size,
					   NULL, &err), 0);
	assert_int_equal(bs_map_lookup(blocked, key, &count), 0);
	assert_int_equal(count, 2);
	assert_memory_equal(data, f.data[0], size);
	free(data);
	/* past the end, and packet 0 */
	assert_int_equal(bs_pcap_replay_to(FIREWALL_PCAP, 9, prog, maps, NULL, &data, &size,
					   NULL, &err), -1);
	assert_null(data);
	assert_non_null(strstr(err.message, "has 8 packets"));
	assert_int_equal(bs_pcap_replay_to(FIREWALL_PCAP, 0, prog, maps, NULL, &data, &size,
					   NULL, &err), -1);
	/* a refused packet (0 bytes, 10 bytes) is counted and skipped */
	assert_int_equal(bs_pcap_replay_to(DATA("zero_len.pcap"), 4, prog, maps, NULL, &data,
					   &size, &failed, &err), 0);
	assert_int_equal(failed, 2);
	assert_int_equal(size, 54);
	free(data);
	bs_maps_free(maps);
	bs_object_close(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_reads_frames),
		cmocka_unit_test(test_pcap_flavours_agree),
		cmocka_unit_test(test_pcap_synthetic_ethernet),
		cmocka_unit_test(test_pcap_snaplen_and_short),
		cmocka_unit_test(test_pcap_broken_files),
		cmocka_unit_test(test_pcap_write_read_back),
		cmocka_unit_test(test_pcap_fit_ctx),
		cmocka_unit_test(test_pcap_replay_to),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
