// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * -f json: the profile for scripts. One object; every sample (thread and
 * stack) with its frames root first, its total, count and histogram. The
 * schema is in docs/OUTPUT.md; "format" and "version" name it.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "output.h"

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *kind_name(uint8_t k)
{
	switch (k) {
	case LT_FRAME_KERNEL: return "kernel";
	case LT_FRAME_PSEUDO: return "pseudo";
	case LT_FRAME_INLINED: return "inlined";
	default: return "user";
	}
}

int lt_write_json(FILE *f, const struct lt_profile *p, const struct lt_out_opts *o)
{
	uint64_t ev = 0, val = 0;
	char when[32];
	struct tm tm;

	(void)o;
	gmtime_r(&p->start, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("{\"format\":\"latprof-profile\",\"version\":1,\"tool\":", f);
	json_str(f, p->tool);
	fputs(",\"unit\":", f);
	json_str(f, p->unit);
	if (p->unit2) {
		fputs(",\"unit2\":", f);
		json_str(f, p->unit2);
	}
	fputs(",\"what\":", f);
	json_str(f, p->what ? p->what : "");
	fputs(",\"target\":", f);
	json_str(f, p->target);
	fprintf(f, ",\"start\":\"%s\",\"duration_s\":%.3f,", when, p->duration_s);
	fprintf(f, "\"histogram\":{\"buckets\":\"log-linear, 8 per power of two\",\"unit\":");
	json_str(f, p->unit);
	fprintf(f, "},\"events\":%" PRIu64 ",\"lost\":{", p->stats[LT_STAT_EVENTS]);
	{
		static const struct {
			enum lt_stat st;
			const char *name;
		} lost[] = {
			{ LT_STAT_AGG_FULL, "aggregation_full" },
			{ LT_STAT_START_FULL, "start_full" },
			{ LT_STAT_END_LOST, "end_lost" },
			{ LT_STAT_RINGBUF_LOST, "event_stream_lost" },
			{ LT_STAT_KSTACK_COLLISION, "kernel_stack_collisions" },
			{ LT_STAT_KSTACK_FULL, "kernel_stacks_full" },
			{ LT_STAT_KSTACK_FAULT, "kernel_stack_faults" },
			{ LT_STAT_USTACK_FULL, "user_stacks_full" },
			{ LT_STAT_USTACK_FAULT, "user_stack_faults" },
			{ LT_STAT_USTACK_TRUNC, "user_stacks_truncated" },
			{ LT_STAT_WANT_FULL, "unwinder_queue_full" },
			{ LT_STAT_COPY_LOST, "user_stack_copies_lost" },
			{ LT_STAT_WAKER_FULL, "waker_full" },
		};

		for (size_t i = 0; i < sizeof(lost) / sizeof(lost[0]); i++)
			fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", lost[i].name,
				p->stats[lost[i].st]);
		fprintf(f, ",\"user_stacks_missing\":%" PRIu64, p->ustacks_missing);
	}
	fputs("}", f);
	/* Only a traced profile knows how its user stacks ended (not one read back). */
	lt_profile__ustack_totals(p, &ev, &val);
	if (ev) {
		fprintf(f,
			",\"user_stacks\":{\"events\":%" PRIu64 ",\"value\":%" PRIu64
			",\"walked_without_mappings\":%" PRIu64,
			ev, val, p->stats[LT_STAT_UNWIND_UNKNOWN]);
		for (int r = LT_UR_COMPLETE; r < LT_UR_NR; r++)
			fprintf(f, ",\"%s\":{\"events\":%" PRIu64 ",\"value\":%" PRIu64 "}",
				lt_ureason_name[r], p->ur_events[r], p->ur_value[r]);
		fputs("}", f);
	}
	fputs(",\n\"stacks\":[", f);
	for (size_t i = 0; i < p->n; i++) {
		const struct lt_sample *s = &p->samples[i];
		bool first = true;

		fprintf(f, "%s\n{\"comm\":", i ? "," : "");
		json_str(f, s->comm);
		fprintf(f,
			",\"pid\":%u,\"tid\":%u,\"nspid\":%u,\"total\":%" PRIu64
			",\"count\":%" PRIu64,
			s->tgid, s->pid, s->nspid ? s->nspid : s->tgid, s->total, s->count);
		if (p->unit2)
			fprintf(f, ",\"total2\":%" PRIu64, s->total2);
		/* Threads of exited processes merged per command (--max-stacks). */
		if (s->nthreads)
			fprintf(f, ",\"threads\":%u", s->nthreads);
		if (ev)
			fprintf(f, ",\"user_stack\":\"%s\"", lt_ureason_name[s->ureason]);
		fputs(",\"frames\":[", f);
		for (uint32_t k = 0; k < s->nframes; k++) {
			fprintf(f, "%s[", k ? "," : "");
			json_str(f, s->frames[k]);
			fprintf(f, ",\"%s\"]", kind_name(s->kind[k]));
		}
		fputs("],\"hist\":[", f);
		for (uint32_t b = 0; b < s->hist.n; b++) {
			unsigned int slot = s->hist.b[b].slot;

			fprintf(f, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", first ? "" : ",",
				lt_hist_slot_lo(slot), lt_hist_slot_hi(slot), s->hist.b[b].count);
			first = false;
		}
		fputs("]}", f);
	}
	fputs("\n]}\n", f);
	return ferror(f) ? -EIO : 0;
}
