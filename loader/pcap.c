// SPDX-License-Identifier: MIT
/* Packet captures through libpcap: pcap_open_offline reads both pcap and
 * pcapng, so one streaming reader serves both. Frames are handed out in one
 * reused buffer, so a capture of any size is read in constant memory. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpfstep/pcap.h"
#include "vm/error.h"

#define ETH_HLEN_ 14
#define SLL_HLEN 16
#define SLL2_HLEN 20
/* libpcap's own bound on a record's captured length */
#define MAX_CAPLEN (256u * 1024u)

#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

enum link_kind { LINK_ETH, LINK_RAW_IP, LINK_SLL, LINK_SLL2 };

struct bs_pcap_reader {
	pcap_t *p;
	FILE *f;              /* libpcap's stream, for offsets */
	enum link_kind kind;
	uint32_t linktype;    /* LINKTYPE_* */
	uint64_t index;       /* packets handed out */
	uint64_t total;       /* file size, 0 if unknown */
	uint8_t *buf;         /* the frame with a header made up for it */
	size_t cap;
	char path[256];
	bool failed;
	/* classic pcap: records follow each other (16-byte header + caplen), so
	 * the next one's offset is known without asking the stream, which
	 * costs a system call per packet; pcapng blocks vary: asked */
	bool classic;
	int64_t next_at;
};

static int64_t file_pos(const struct bs_pcap_reader *r)
{
	if (r->classic)
		return r->next_at;
	if (!r->f)
		return -1;
	off_t at = ftello(r->f);
	return at < 0 ? -1 : (int64_t)at;
}

int bs_pcap_open(const char *path, struct bs_pcap_reader **out, struct bs_error *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	*out = NULL;
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!p) {
		struct stat st;
		if (strcmp(path, "-") != 0 && stat(path, &st) != 0)
			return vm_err(err, BS_ERR_IO, BS_NO_PC, "cannot read '%s': %s", path,
				      strerror(errno));
		return vm_err(err, BS_ERR_PARSE, BS_NO_PC, "'%s' is not a pcap or pcapng capture: %s",
			      path, ebuf);
	}
	struct bs_pcap_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		pcap_close(p);
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	}
	r->p = p;
	r->f = pcap_file(p);
	/* pcap_major_version is 2 for classic pcap (24-byte file header) */
	if (r->f && pcap_major_version(p) == 2) {
		off_t at = ftello(r->f);
		r->classic = at >= 0;
		r->next_at = at;
	}
	snprintf(r->path, sizeof(r->path), "%s", path);
	struct stat st;
	if (r->f && fstat(fileno(r->f), &st) == 0 && S_ISREG(st.st_mode))
		r->total = (uint64_t)st.st_size;
	int dlt = pcap_datalink(p);
	switch (dlt) {
	case DLT_EN10MB:
		r->kind = LINK_ETH;
		r->linktype = BS_PCAP_LINK_ETHERNET;
		break;
	case DLT_RAW:
		r->kind = LINK_RAW_IP;
		r->linktype = BS_PCAP_LINK_RAW;
		break;
	case DLT_IPV4:
		r->kind = LINK_RAW_IP;
		r->linktype = BS_PCAP_LINK_IPV4;
		break;
	case DLT_IPV6:
		r->kind = LINK_RAW_IP;
		r->linktype = BS_PCAP_LINK_IPV6;
		break;
	case DLT_LINUX_SLL:
		r->kind = LINK_SLL;
		r->linktype = 113;
		break;
	case DLT_LINUX_SLL2:
		r->kind = LINK_SLL2;
		r->linktype = 276;
		break;
	default: {
		const char *name = pcap_datalink_val_to_name(dlt);
		vm_err(err, BS_ERR_UNSUPPORTED, BS_NO_PC,
		       "'%s' has link type %d (%s): only Ethernet, raw IP (101, 228, 229) and Linux "
		       "cooked captures (113, 276) can be replayed", path, dlt, name ? name : "unknown");
		bs_pcap_close(r);
		return -1;
	}
	}
	*out = r;
	return 0;
}

uint32_t bs_pcap_linktype(const struct bs_pcap_reader *r)
{
	return r->linktype;
}

uint32_t bs_pcap_snaplen(const struct bs_pcap_reader *r)
{
	return (uint32_t)pcap_snapshot(r->p);
}

void bs_pcap_progress(const struct bs_pcap_reader *r, uint64_t *done, uint64_t *total)
{
	int64_t at = file_pos(r);
	*done = at < 0 ? 0 : (uint64_t)at;
	*total = r->total;
}

void bs_pcap_close(struct bs_pcap_reader *r)
{
	if (!r)
		return;
	pcap_close(r->p);
	free(r->buf);
	free(r);
}

static uint8_t *frame_buf(struct bs_pcap_reader *r, size_t n)
{
	if (n > r->cap) {
		uint8_t *b = realloc(r->buf, n);
		if (!b)
			return NULL;
		r->buf = b;
		r->cap = n;
	}
	return r->buf;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The Ethernet frame a raw IP or cooked packet would have been: zero
 * destination, the cooked source address if there is one, and the
 * EtherType from the IP version or the cooked header. */
static int make_frame(struct bs_pcap_reader *r, const uint8_t *data, uint32_t caplen,
		      struct bs_pcap_packet *pkt, struct bs_error *err)
{
	size_t hdr = 0;
	uint16_t proto = 0;
	const uint8_t *src = NULL;
	size_t src_len = 0;
	switch (r->kind) {
	case LINK_ETH:
		pkt->data = data;
		pkt->size = caplen;
		return 0;
	case LINK_RAW_IP: {
		unsigned version = caplen ? data[0] >> 4 : 0;
		if (r->linktype == BS_PCAP_LINK_IPV4)
			version = 4;
		else if (r->linktype == BS_PCAP_LINK_IPV6)
			version = 6;
		proto = version == 6 ? 0x86dd : 0x0800;
		break;
	}
	case LINK_SLL:
	case LINK_SLL2: {
		hdr = r->kind == LINK_SLL ? SLL_HLEN : SLL2_HLEN;
		if (caplen < hdr)
			return vm_err(err, BS_ERR_PARSE, BS_NO_PC,
				      "packet %llu: %u bytes captured, less than the %zu-byte Linux "
				      "cooked header", (unsigned long long)pkt->index, caplen, hdr);
		if (r->kind == LINK_SLL) {
			src_len = be16(data + 4);
			src = data + 6;
			proto = be16(data + 14);
		} else {
			proto = be16(data);
			src_len = data[11];
			src = data + 12;
		}
		if (src_len != 6)
			src = NULL;
		break;
	}
	}
	uint8_t *b = frame_buf(r, ETH_HLEN_ + caplen - hdr);
	if (!b)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory for packet %llu",
			      (unsigned long long)pkt->index);
	memset(b, 0, 12);
	if (src)
		memcpy(b + 6, src, 6);
	b[12] = (uint8_t)(proto >> 8);
	b[13] = (uint8_t)proto;
	if (caplen > hdr)
		memcpy(b + ETH_HLEN_, data + hdr, caplen - hdr);
	pkt->data = b;
	pkt->size = ETH_HLEN_ + caplen - hdr;
	pkt->synthetic_eth = true;
	return 0;
}

int bs_pcap_next(struct bs_pcap_reader *r, struct bs_pcap_packet *pkt, struct bs_error *err)
{
	memset(pkt, 0, sizeof(*pkt));
	if (r->failed)
		return vm_err(err, BS_ERR_PARSE, BS_NO_PC,
			      "'%s': cannot read on after an error", r->path);
	struct pcap_pkthdr *h;
	const u_char *data;
	int64_t at = file_pos(r);
	int rc = pcap_next_ex(r->p, &h, &data);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		r->failed = true;
		vm_err(err, BS_ERR_PARSE, BS_NO_PC, "'%s': packet %llu: %s", r->path,
		       (unsigned long long)r->index + 1, pcap_geterr(r->p));
		if (at >= 0)
			snprintf(err->hint, sizeof(err->hint),
				 "the record starts at file offset %lld, after %llu good packet%s",
				 (long long)at, (unsigned long long)r->index, r->index == 1 ? "" : "s");
		return -1;
	}
	pkt->index = ++r->index;
	pkt->caplen = h->caplen;
	pkt->len = h->len;
	pkt->ts_sec = (uint64_t)h->ts.tv_sec;
	pkt->ts_usec = (uint32_t)h->ts.tv_usec;
	pkt->offset = at;
	if (r->classic && at >= 0)
		r->next_at = at + 16 + (int64_t)h->caplen;
	if (h->caplen > MAX_CAPLEN) {
		r->failed = true;
		return vm_err(err, BS_ERR_PARSE, BS_NO_PC,
			      "'%s': packet %llu at file offset %lld claims %u captured bytes",
			      r->path, (unsigned long long)pkt->index, (long long)at, h->caplen);
	}
	return make_frame(r, data, h->caplen, pkt, err) ? -1 : 1;
}

/* ---- writing ---- */

struct bs_pcap_writer {
	pcap_t *p;
	pcap_dumper_t *d;
	char path[256];
};

int bs_pcap_create(const char *path, struct bs_pcap_writer **out, struct bs_error *err)
{
	*out = NULL;
	struct bs_pcap_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144, PCAP_TSTAMP_PRECISION_MICRO);
	if (!w->p) {
		free(w);
		return vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
	}
	w->d = pcap_dump_open(w->p, path);
	if (!w->d) {
		vm_err(err, BS_ERR_IO, BS_NO_PC, "cannot write '%s': %s", path, pcap_geterr(w->p));
		pcap_close(w->p);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

int bs_pcap_write(struct bs_pcap_writer *w, uint64_t ts_sec, uint32_t ts_usec, const void *data,
		  size_t size, uint32_t wire_len, struct bs_error *err)
{
	if (size > MAX_CAPLEN)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC,
			      "'%s': a %zu-byte frame is more than a pcap record holds (%u)", w->path,
			      size, MAX_CAPLEN);
	struct pcap_pkthdr h = {0};
	h.ts.tv_sec = (time_t)ts_sec;
	h.ts.tv_usec = (suseconds_t)ts_usec;
	h.caplen = (uint32_t)size;
	h.len = wire_len < size ? (uint32_t)size : wire_len;
	pcap_dump((u_char *)w->d, &h, data);
	if (ferror(pcap_dump_file(w->d)))
		return vm_err(err, BS_ERR_IO, BS_NO_PC, "cannot write '%s': %s", w->path,
			      strerror(errno));
	return 0;
}

int bs_pcap_writer_close(struct bs_pcap_writer *w, struct bs_error *err)
{
	if (!w)
		return 0;
	int rc = 0;
	if (pcap_dump_flush(w->d) != 0 || ferror(pcap_dump_file(w->d)))
		rc = vm_err(err, BS_ERR_IO, BS_NO_PC, "cannot write '%s': %s", w->path,
			    strerror(errno));
	pcap_dump_close(w->d);
	pcap_close(w->p);
	free(w);
	return rc;
}

/* ---- replaying a prefix, for a debugger ---- */

static void clear_records(struct bs_maps *maps)
{
	for (size_t i = 0; maps && i < bs_maps_count(maps); i++)
		bs_map_records_clear(bs_maps_at(maps, i));
}

int bs_pcap_replay_to(const char *path, uint64_t n, const struct bs_prog *prog,
		      struct bs_maps *maps, const struct bs_test_run *tmpl, uint8_t **data,
		      size_t *size, uint64_t *failed, struct bs_error *err)
{
	*data = NULL;
	*size = 0;
	if (failed)
		*failed = 0;
	if (n == 0)
		return vm_err(err, BS_ERR_ARG, BS_NO_PC, "packets are numbered from 1");
	struct bs_pcap_reader *r;
	if (bs_pcap_open(path, &r, err))
		return -1;
	struct bs_pcap_packet pkt;
	int rc;
	while ((rc = bs_pcap_next(r, &pkt, err)) == 1 && pkt.index < n) {
		struct bs_test_run tr = {0};
		if (tmpl) {
			tr.ctx_in = tmpl->ctx_in;
			tr.ctx_size_in = tmpl->ctx_size_in;
			tr.budget = tmpl->budget;
			tr.dispatch = tmpl->dispatch;
			tr.env = tmpl->env;
		}
		uint8_t ctx[256];
		if (tr.ctx_in && tr.ctx_size_in <= sizeof(ctx)) {
			memcpy(ctx, tr.ctx_in, tr.ctx_size_in);
			bs_pcap_fit_ctx(bs_prog_type(prog), ctx, tr.ctx_size_in, pkt.size);
			tr.ctx_in = ctx;
		}
		tr.data_in = pkt.data;
		tr.data_size_in = pkt.size;
		struct bs_error run_err;
		if (bs_test_run(prog, maps, &tr, &run_err) && failed)
			(*failed)++;
		free(tr.data_out);
		free(tr.ctx_out);
		for (size_t i = 0; i < tr.nclones; i++)
			free(tr.clones[i].data);
		free(tr.clones);
		clear_records(maps);
	}
	if (rc == 1) {
		*data = malloc(pkt.size ? pkt.size : 1);
		if (!*data)
			rc = vm_err(err, BS_ERR_NOMEM, BS_NO_PC, "out of memory");
		else {
			memcpy(*data, pkt.data, pkt.size);
			*size = pkt.size;
			rc = 0;
		}
	} else if (rc == 0) {
		rc = vm_err(err, BS_ERR_ARG, BS_NO_PC, "'%s' has %llu packets, not %llu", path,
			    (unsigned long long)r->index, (unsigned long long)n);
	}
	bs_pcap_close(r);
	return rc;
}

void bs_pcap_fit_ctx(enum bs_prog_type type, void *ctx, size_t n, size_t pkt_size)
{
	/* struct xdp_md: data (the metadata length), data_end at offset 4 */
	if (type != BS_PROG_XDP || n < 8)
		return;
	uint32_t end = (uint32_t)pkt_size;
	memcpy((uint8_t *)ctx + 4, &end, 4);
}
