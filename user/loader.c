// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpf_util.h"
#include "err.h"
#include "loader.h"
#include "stacks.h"
#include "target.h"
#include "unwind.h"

static bool env_allows(const char *env, const char *name)
{
	const char *v = getenv(env);

	return !v || !*v || (name && !strcmp(v, name));
}

/* Is LATPROF_ATTACH unset, or does it name v? */
static bool variant_allowed(const struct lt_variant *v)
{
	return env_allows("LATPROF_ATTACH", v->name) || env_allows("LATPROF_ATTACH", v->alt);
}

void lt_progs_autoload(struct bpf_program *const *p, size_t n, bool on)
{
	for (size_t i = 0; i < n; i++)
		bpf_program__set_autoload(p[i], on);
}

/* LATPROF_VERIFIER_STATS (debugging): the verifier's cost per program. */
static char verifier_logs[8][4096];

static void verifier_stats_on(struct bpf_object *obj)
{
	struct bpf_program *p;
	int i = 0;

	if (!getenv("LATPROF_VERIFIER_STATS"))
		return;
	bpf_object__for_each_program (p, obj) {
		if (i == 8 || !bpf_program__autoload(p))
			continue;
		bpf_program__set_log_buf(p, verifier_logs[i++], sizeof(verifier_logs[0]));
		bpf_program__set_log_level(p, 4);
	}
}

static void verifier_stats_print(struct bpf_object *obj)
{
	struct bpf_program *p;
	size_t sz;

	if (!getenv("LATPROF_VERIFIER_STATS"))
		return;
	bpf_object__for_each_program (p, obj)
		if (bpf_program__autoload(p) && bpf_program__log_buf(p, &sz))
			fprintf(stderr, "%s: %s", bpf_program__name(p),
				bpf_program__log_buf(p, &sz));
}

static int try_load(const struct lt_loader *l, const struct lt_variant *v, void *tool,
		    const struct lt_common *c, uint8_t ustack_mode, void **skel)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = lt_btf_custom_path());
	struct bpf_object *obj;
	int err;

	*skel = l->skel->open(&oo);
	if (!*skel)
		return -errno;
	obj = l->skel->obj(*skel);
	err = lt_rodata_set(obj, "lt_ustack_mode", &ustack_mode, sizeof(ustack_mode));
	err = err ?: lt_target_set_rodata(&c->target, obj);
	err = err ?: lt_stacks_configure(obj, &c->stacks);
	err = err ?: l->configure(tool, *skel, v);
	if (!err) {
		verifier_stats_on(obj);
		err = l->skel->load(*skel);
		if (!err)
			verifier_stats_print(obj);
	}
	if (err) {
		l->skel->destroy(*skel);
		*skel = NULL;
	}
	return err;
}

const char *lt_ustack_desc(const struct lt_tool_core *core)
{
	return core->fp_only ? "frame pointers" : "CFI + frame pointers";
}

int lt_load(const char *name, const struct lt_loader *l, const struct lt_variant *v, size_t n,
	    void *tool, struct lt_tool_core *out)
{
	const struct lt_common *c = out->c;
	bool any = false;
	int err = -ENOENT;

	/* A LATPROF_ATTACH this tool has no variant for does not apply to it. */
	for (size_t i = 0; i < n; i++)
		any |= variant_allowed(&v[i]);
	/*
	 * Every variant with the CFI unwinder before any with frame pointers
	 * alone: complete user stacks matter more than the attach flavour (on
	 * 6.1, alloc's stack-cache variant loads only with frame pointers).
	 */
	for (uint8_t fp = 0; fp <= 1; fp++) {
		if (!env_allows("LATPROF_UNWIND", fp ? "fp" : "cfi"))
			continue;
		for (size_t i = 0; i < n; i++) {
			if (any && !variant_allowed(&v[i]))
				continue;
			err = try_load(l, &v[i], tool, c, fp ? LT_USTACK_FP : LT_USTACK_CFI,
				       &out->skel);
			if (!err) {
				out->variant = &v[i];
				out->obj = l->skel->obj(out->skel);
				out->fp_only = fp;
				lt_info("loaded %s as %s; user stacks: %s", l->what, v[i].label,
					lt_ustack_desc(out));
				if (fp && env_allows("LATPROF_UNWIND", "cfi"))
					lt_warn("this kernel cannot run the CFI unwinder (bpf_loop, "
						"bpf_find_vma): user stacks use frame pointers only");
				return 0;
			}
			if (err != -EOPNOTSUPP) /* else the tool skips v[i] (it said why) */
				lt_info("loading %s as %s (%s unwinder) failed: %s", l->what,
					v[i].label, fp ? "FP" : "CFI", strerror(-err));
		}
	}
	if (err == -EOPNOTSUPP)
		err = -ENOENT;
	lt_err("cannot load the %s BPF program: %s (run with -v for the verifier log)", name,
	       strerror(-err));
	return err;
}
