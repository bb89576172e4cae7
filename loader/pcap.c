// SPDX-License-Identifier: MIT
/* Packet captures through libpcap: pcap_open_offline reads both pcap and
 * pcapng, so one streaming reader serves both. Frames are handed out in one
 * reused buffer, so a capture of any size is read in constant memory. The
 * common case, a classic capture file in this machine's byte order, is read
 * here in large blocks (see struct bs_pcap_reader). */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	/* A classic capture of version 2.4 in this machine's byte order with
	 * microsecond time stamps, in a regular file: libpcap would hand out
	 * its records as they are, so they are read here, a block at a time
	 * (no copy, no stdio call per packet). A record libpcap treats
	 * specially (cut short by the end of the file, or longer than the
	 * snapshot length) and any read error go back to libpcap at that
	 * record's offset, for libpcap's own answer, and libpcap reads on. */
	bool fast;
	uint8_t *blk;         /* BLOCK bytes: [pos, len) not handed out yet */
	size_t pos, len;
	int64_t blk_at;       /* the file offset of blk[len] */
	uint32_t snap;        /* pcap_snapshot */
	bool eof;
	struct pcap_pkthdr hdr;  /* the record fast_next handed out */
};

/* holds the largest record libpcap reads whole: its 16-byte header and
 * MAX_CAPLEN bytes */
#define BLOCK (1u << 20)
#define TCPDUMP_MAGIC_ 0xa1b2c3d4u

static int64_t file_pos(const struct bs_pcap_reader *r)
{
	if (r->classic)
		return r->next_at;
	if (!r->f)
		return -1;
	off_t at = ftello(r->f);
	return at < 0 ? -1 : (int64_t)at;
}

/* Whether the capture is one fast_next reads (struct bs_pcap_reader). */
static void fast_start(struct bs_pcap_reader *r, const char *path)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		uint32_t zone, sigfigs, snaplen, linktype;
	} h;
	_Static_assert(sizeof(h) == 24, "the classic file header");
	if (!r->classic || r->next_at != (int64_t)sizeof(h) || strcmp(path, "-") == 0 ||
	    !r->total || pcap_is_swapped(r->p) ||
	    pcap_get_tstamp_precision(r->p) != PCAP_TSTAMP_PRECISION_MICRO ||
	    pread(fileno(r->f), &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    h.magic != TCPDUMP_MAGIC_ || h.major != 2 || h.minor != 4 ||
	    !(r->blk = malloc(BLOCK)))
		return;
	r->fast = true;
	r->blk_at = r->next_at;
	r->snap = (uint32_t)pcap_snapshot(r->p);
}

/* Reads on until [pos, len) holds n bytes or the file ends; false on a read
 * error. */
static bool fast_fill(struct bs_pcap_reader *r, size_t n)
{
	if (r->pos) {
		memmove(r->blk, r->blk + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	while (r->len < n && !r->eof) {
		ssize_t got = pread(fileno(r->f), r->blk + r->len, BLOCK - r->len, r->blk_at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return false;
		r->eof = got == 0;
		r->len += (size_t)got;
		r->blk_at += got;
	}
	return true;
}

/* The next record as libpcap would give it: 1, 0 at the end of the file,
 * or -1 when libpcap must take over at this record. */
static int fast_next(struct bs_pcap_reader *r, const u_char **data)
{
	struct {
		int32_t sec, usec;
		uint32_t caplen, len;
	} rec;
	if (r->len - r->pos < sizeof(rec) && !fast_fill(r, sizeof(rec)))
		return -1;
	if (r->len == r->pos)
		return 0;
	if (r->len - r->pos < sizeof(rec))
		return -1;
	memcpy(&rec, r->blk + r->pos, sizeof(rec));
	/* what libpcap cuts (past the snapshot length) or refuses (past its
	 * maximum, whatever the file's snapshot length says) is its to do */
	if (rec.caplen > r->snap || rec.caplen > MAX_CAPLEN || rec.caplen > BLOCK - sizeof(rec))
		return -1;
	size_t n = sizeof(rec) + rec.caplen;
	if (r->len - r->pos < n && (!fast_fill(r, n) || r->len - r->pos < n))
		return -1;
	/* as libpcap widens the file's 32-bit signed fields */
	r->hdr.ts.tv_sec = rec.sec;
	r->hdr.ts.tv_usec = rec.usec;
	r->hdr.caplen = rec.caplen;
	r->hdr.len = rec.len;
	*data = r->blk + r->pos + sizeof(rec);
	r->pos += n;
	return 1;
}

/* pcap_next_ex's answer: fast_next's, or libpcap's from where fast_next
 * stopped. */
static int next_record(struct bs_pcap_reader *r, struct pcap_pkthdr **h, const u_char **data,
		       int *seek_errno)
{
	if (r->fast) {
		int rc = fast_next(r, data);
		if (rc >= 0) {
			*h = &r->hdr;
			return rc ? 1 : PCAP_ERROR_BREAK;
		}
		r->fast = false;
		free(r->blk);
		r->blk = NULL;
		if (fseeko(r->f, (off_t)r->next_at, SEEK_SET) != 0) {
			*seek_errno = errno;
			return PCAP_ERROR;
		}
	}
	return pcap_next_ex(r->p, h, data);
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
	fast_start(r, path);
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
	free(r->blk);
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
	int seek_errno = 0;
	int rc = next_record(r, &h, &data, &seek_errno);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		r->failed = true;
		vm_err(err, BS_ERR_PARSE, BS_NO_PC, "'%s': packet %llu: %s", r->path,
		       (unsigned long long)r->index + 1,
		       seek_errno ? strerror(seek_errno) : pcap_geterr(r->p));
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
	if (r->classic && at >= 0) {
		r->next_at = at + 16 + (int64_t)h->caplen;
		/* a record libpcap cut to the snapshot length goes on in the
		 * file past what it handed out: ask the stream (rare) */
		if (!r->fast && h->len > h->caplen && h->caplen == (uint32_t)pcap_snapshot(r->p)) {
			off_t pos = ftello(r->f);
			if (pos >= 0)
				r->next_at = pos;
		}
	}
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
	struct bs_test_run base = {0};
	if (tmpl) {
		base.ctx_in = tmpl->ctx_in;
		base.ctx_size_in = tmpl->ctx_size_in;
		base.budget = tmpl->budget;
		base.dispatch = tmpl->dispatch;
		base.env = tmpl->env;
	}
	/* the program set up once, as replay does; one that does not load
	 * fails every packet, as separate runs do */
	struct bs_test_runner *runner = NULL;
	struct bs_error ignore;
	if (n > 1 && bs_test_runner_new(prog, maps, &base, &runner, &ignore))
		runner = NULL;
	struct bs_pcap_packet pkt;
	int rc;
	while ((rc = bs_pcap_next(r, &pkt, err)) == 1 && pkt.index < n) {
		struct bs_test_run tr = base;
		uint8_t ctx[256];
		if (tr.ctx_in && tr.ctx_size_in <= sizeof(ctx)) {
			memcpy(ctx, tr.ctx_in, tr.ctx_size_in);
			bs_pcap_fit_ctx(bs_prog_type(prog), ctx, tr.ctx_size_in, pkt.size);
			tr.ctx_in = ctx;
		}
		tr.data_in = pkt.data;
		tr.data_size_in = pkt.size;
		struct bs_error run_err;
		int run_rc = runner ? bs_test_runner_run_lent(runner, &tr, &run_err)
				    : bs_test_run(prog, maps, &tr, &run_err);
		if (run_rc && failed)
			(*failed)++;
		if (!runner) {
			free(tr.data_out);
			free(tr.ctx_out);
			for (size_t i = 0; i < tr.nclones; i++)
				free(tr.clones[i].data);
			free(tr.clones);
		}
		clear_records(maps);
	}
	bs_test_runner_free(runner);
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
