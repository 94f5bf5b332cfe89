// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A self-contained interactive flame graph: one SVG file with its script
 * inline, no network, no Perl. Frames merge root first into a tree; each
 * node is a <g> holding its <title> (name, value, share), <rect> and <text>.
 * The script zooms on click, searches by regex (highlight and share), shows
 * details on hover and refits labels; it keeps each frame's geometry in
 * arrays read once at load, so 50k frames stay responsive.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hash.h"
#include "output.h"

#define SVG_WIDTH 1200
#define SVG_PAD 10
#define FRAME_H 16
#define FONT_SIZE 12
#define FONT_WIDTH 0.59 /* average glyph width / font size, Verdana */
#define TOP_H 66
#define BOTTOM_H 34

struct fnode {
	const char *name;
	uint64_t value;
	uint64_t oncpu; /* of value, from stacks whose leaf is [cpu] (wall's colours) */
	double before; /* diff: the BEFORE profile's value, scaled */
	uint32_t parent, first, nchild, depth;
	uint8_t kind;
};

struct ftree {
	struct fnode *n;
	size_t len, cap;
	uint32_t *slots; /* open addressing over (parent, name, kind) -> index + 1 */
	size_t nslots;
	uint32_t *kids; /* children of each node, contiguous from fnode.first */
	uint32_t maxdepth;
};

static uint64_t node_hash(uint32_t parent, const char *name, uint8_t kind)
{
	return (lt_hash_str(name) ^ ((uint64_t)parent * 0x9e3779b97f4a7c15ULL)) + kind;
}

static int tree_grow(struct ftree *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 4096;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 1; i < t->len; i++) {
		const struct fnode *n = &t->n[i];
		size_t j = node_hash(n->parent, n->name, n->kind) & (nslots - 1);

		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

/* The child of parent with this name and kind, created when new. -1 on ENOMEM. */
static long tree_child(struct ftree *t, uint32_t parent, const char *name, uint8_t kind)
{
	size_t j;

	if ((t->len + 1) * 2 > t->nslots && tree_grow(t))
		return -1;
	for (j = node_hash(parent, name, kind) & (t->nslots - 1); t->slots[j];
	     j = (j + 1) & (t->nslots - 1)) {
		const struct fnode *n = &t->n[t->slots[j] - 1];

		if (n->parent == parent && n->kind == kind && !strcmp(n->name, name))
			return t->slots[j] - 1;
	}
	if (t->len == t->cap) {
		size_t cap = t->cap * 2;
		struct fnode *nn = realloc(t->n, cap * sizeof(*nn));

		if (!nn)
			return -1;
		t->n = nn;
		t->cap = cap;
	}
	t->n[t->len] = (struct fnode){
		.name = name, .parent = parent, .kind = kind, .depth = t->n[parent].depth + 1
	};
	if (t->n[t->len].depth > t->maxdepth)
		t->maxdepth = t->n[t->len].depth;
	t->slots[j] = t->len + 1;
	return t->len++;
}

static const struct ftree *sort_tree;

static int cmp_kid(const void *a, const void *b)
{
	const struct fnode *x = &sort_tree->n[*(const uint32_t *)a];
	const struct fnode *y = &sort_tree->n[*(const uint32_t *)b];

	return strcmp(x->name, y->name) ?: (int)x->kind - (int)y->kind;
}

/* Children lists, each sorted by name (as flamegraph.pl orders them). */
static int tree_link(struct ftree *t)
{
	uint32_t *fill;

	t->kids = calloc(t->len ? t->len : 1, sizeof(*t->kids));
	fill = calloc(t->len ? t->len : 1, sizeof(*fill));
	if (!t->kids || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (size_t i = 1; i < t->len; i++)
		t->n[t->n[i].parent].nchild++;
	for (size_t i = 0, at = 0; i < t->len; i++) {
		t->n[i].first = at;
		at += t->n[i].nchild;
	}
	for (size_t i = 1; i < t->len; i++) {
		struct fnode *p = &t->n[t->n[i].parent];

		t->kids[p->first + fill[t->n[i].parent]++] = i;
	}
	free(fill);
	sort_tree = t;
	for (size_t i = 0; i < t->len; i++)
		qsort(t->kids + t->n[i].first, t->n[i].nchild, sizeof(*t->kids), cmp_kid);
	return 0;
}

static void tree_free(struct ftree *t)
{
	free(t->n);
	free(t->slots);
	free(t->kids);
}

static int tree_init(struct ftree *t)
{
	memset(t, 0, sizeof(*t));
	t->cap = 1024;
	t->n = calloc(t->cap, sizeof(*t->n));
	if (!t->n)
		return -ENOMEM;
	t->n[0] = (struct fnode){ .name = "all", .kind = LT_FRAME_PSEUDO };
	t->len = 1;
	return 0;
}

/*
 * root ("all") -> comm -> frames, root first; values add up the tree. With
 * `before`, the lines add (times scale) to the nodes' before values instead.
 */
static int tree_add(struct ftree *t, const struct lt_stack_line *l, size_t nl, bool before,
		    double scale)
{
	for (size_t i = 0; i < nl; i++) {
		const struct lt_sample *s = l[i].first;
		const char *state = lt_sample__state(s);
		bool cpu = state && !strcmp(state, "[cpu]");
		long at;

		if (!l[i].total)
			continue;
		at = tree_child(t, 0, s->comm[0] ? s->comm : "?", LT_FRAME_PSEUDO);
		if (before)
			t->n[0].before += (double)l[i].total * scale;
		else
			t->n[0].value += l[i].total;
		for (uint32_t k = 0; at >= 0; k++) {
			if (before)
				t->n[at].before += (double)l[i].total * scale;
			else
				t->n[at].value += l[i].total;
			if (!before && cpu)
				t->n[at].oncpu += l[i].total;
			if (k == s->nframes)
				break;
			at = tree_child(t, at, s->frames[k], s->kind[k]);
		}
		if (at < 0)
			return -ENOMEM;
	}
	return 0;
}

static int tree_build(struct ftree *t, const struct lt_profile *after,
		      const struct lt_profile *before, double scale)
{
	struct lt_stack_line *l;
	size_t nl;
	int err = tree_init(t);

	for (int pass = 0; !err && pass < (before ? 2 : 1); pass++) {
		err = lt_profile__lines(pass ? before : after, &l, &nl);
		if (err)
			break;
		err = tree_add(t, l, nl, pass == 1, scale);
		lt_stack_lines__free(l, nl);
	}
	if (err)
		return err;
	/* Only what is drawn counts for the height: stacks only BEFORE had are not. */
	t->maxdepth = 0;
	for (size_t i = 0; i < t->len; i++)
		if (t->n[i].value && t->n[i].depth > t->maxdepth)
			t->maxdepth = t->n[i].depth;
	return tree_link(t);
}

/* Channel base and span, red green blue: colour = base + span * v. */
struct hue {
	int r0, rs, g0, gs, b0, bs;
};

/* Each tool's colours: its user frames, its kernel frames. */
static const struct {
	const char *tool;
	struct hue user, kernel;
} palettes[] = {
	/* off-CPU: blue, kernel aqua (flamegraph.pl's off-CPU colours) */
	{ "offcpu", { 80, 60, 80, 60, 190, 55 }, { 50, 60, 165, 55, 165, 55 } },
	/* I/O: ochre, kernel rust */
	{ "io", { 190, 65, 140, 60, 40, 40 }, { 200, 55, 90, 60, 60, 40 } },
	/* memory: green, kernel teal */
	{ "alloc", { 40, 60, 170, 60, 40, 60 }, { 30, 50, 140, 60, 130, 60 } },
	/* network: purple, kernel violet-blue */
	{ "tcp", { 140, 60, 80, 50, 190, 55 }, { 100, 50, 130, 60, 200, 55 } },
	/* anything else: flamegraph.pl's "hot", kernel orange */
	{ NULL, { 205, 50, 0, 230, 0, 55 }, { 220, 35, 120, 60, 0, 40 } },
};

static const struct hue grey = { 180, 40, 180, 40, 180, 40 };

/* Differential: red grew, blue shrank, white unchanged; full at +-100%. */
static void diff_colour(const struct fnode *n, char *buf, size_t sz)
{
	double d = (double)n->value - n->before;
	double r = n->before > 0 ? d / n->before : (n->value ? 1.0 : 0.0);
	int fade;

	if (r > 1)
		r = 1;
	if (r < -1)
		r = -1;
	fade = 245 - (int)(190 * (r < 0 ? -r : r));
	if (r > 0.005)
		snprintf(buf, sz, "rgb(255,%d,%d)", fade, fade);
	else if (r < -0.005)
		snprintf(buf, sz, "rgb(%d,%d,255)", fade, fade);
	else
		snprintf(buf, sz, "rgb(245,245,245)");
}

/*
 * wall: how much of a frame was on a CPU, at a glance. Its colour runs from
 * blue (all of its time off a CPU) to flame red (all on a CPU) by that
 * share; the state frames at the leaves are red [cpu], amber [runqueue] and
 * blue [blocked:*].
 */
static void wall_colour(const struct fnode *n, double v1, char *buf, size_t sz)
{
	double f = n->value ? (double)n->oncpu / (double)n->value : 0;
	int r, g, b;

	if (n->kind == LT_FRAME_PSEUDO && !strcmp(n->name, "[cpu]"))
		f = 1;
	if (n->kind == LT_FRAME_PSEUDO && !strcmp(n->name, "[runqueue]")) {
		snprintf(buf, sz, "rgb(240,%d,40)", 180 + (int)(40 * v1));
		return;
	}
	r = 70 + (int)(165 * f) + (int)(20 * v1);
	g = 120 - (int)(40 * f) + (int)(40 * v1);
	b = 215 - (int)(175 * f);
	snprintf(buf, sz, "rgb(%d,%d,%d)", r, g, b);
}

static void colour(const struct fnode *n, const char *tool, char *buf, size_t sz)
{
	uint64_t h = lt_hash_str(n->name);
	double v1 = (double)(h & 0xffff) / 65535.0, v2 = (double)((h >> 16) & 0xffff) / 65535.0;
	const struct hue *c = &grey;
	size_t i = 0;
	int r, g, b;

	if (tool && !strcmp(tool, "wall")) {
		wall_colour(n, v1, buf, sz);
		return;
	}
	while (palettes[i].tool && (!tool || strcmp(palettes[i].tool, tool)))
		i++;
	if (n->kind == LT_FRAME_KERNEL)
		c = &palettes[i].kernel;
	else if (n->kind == LT_FRAME_USER || n->kind == LT_FRAME_INLINED)
		c = &palettes[i].user;
	r = c->r0 + (int)(c->rs * v1);
	g = c->g0 + (int)(c->gs * v2);
	b = c->b0 + (int)(c->bs * (v1 + v2) / 2);
	if (n->kind == LT_FRAME_INLINED) { /* lighter: a frame of its caller's code */
		r += (255 - r) / 2;
		g += (255 - g) / 2;
		b += (255 - b) / 2;
	}
	snprintf(buf, sz, "rgb(%d,%d,%d)", r, g, b);
}

static void xml_escape(FILE *f, const char *s, size_t max)
{
	for (size_t i = 0; s[i] && i < max; i++) {
		switch (s[i]) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			/* Control characters are not allowed in XML 1.0. */
			fputc((unsigned char)s[i] < 0x20 ? '?' : s[i], f);
		}
	}
}

static long label_chars(double w)
{
	return (long)((w - 6) / (FONT_SIZE * FONT_WIDTH));
}

static bool label_fits(double w)
{
	return label_chars(w) >= 3;
}

/* The label that fits w pixels: the name, or its start with "..", or nothing. */
static void label(FILE *f, const char *name, double w)
{
	long fit = label_chars(w);
	size_t len = strlen(name);

	if (fit < 3)
		return;
	if ((size_t)fit >= len) {
		xml_escape(f, name, len);
		return;
	}
	xml_escape(f, name, fit - 2);
	fputs("..", f);
}

struct svg_ctx {
	FILE *f;
	bool diff; /* differential: colours and titles compare with before */
	const struct ftree *t;
	const struct lt_profile *p;
	const struct lt_out_opts *o;
	double scale, minw; /* pixels per unit; least width drawn */
	int height;
	size_t drawn;
};

static void draw(struct svg_ctx *c, uint32_t i, double x)
{
	const struct fnode *n = &c->t->n[i];
	double w = (double)n->value * c->scale, y;
	char val[48], fill[48];

	if (!n->value || w < c->minw)
		return;
	y = c->o->icicle ? TOP_H + (double)n->depth * FRAME_H :
			   c->height - BOTTOM_H - (double)(n->depth + 1) * FRAME_H;
	lt_format_value(val, sizeof(val), (double)n->value, c->p->unit);
	if (c->diff)
		diff_colour(n, fill, sizeof(fill));
	else
		colour(n, c->p->tool, fill, sizeof(fill));
	fputs("<g><title>", c->f);
	xml_escape(c->f, n->name, SIZE_MAX);
	fprintf(c->f, "%s (%s, %.2f%%",
		n->kind == LT_FRAME_KERNEL  ? " [k]" :
		n->kind == LT_FRAME_INLINED ? " [i]" :
					      "",
		val, 100.0 * (double)n->value / (double)c->t->n[0].value);
	if (c->diff) {
		char b[48], d[48];
		double delta = (double)n->value - n->before;

		lt_format_value(b, sizeof(b), n->before, c->p->unit);
		lt_format_value(d, sizeof(d), delta < 0 ? -delta : delta, c->p->unit);
		if (n->before > 0)
			fprintf(c->f, "; before %s, %s%s, %+.1f%%", b, delta < 0 ? "-" : "+", d,
				100.0 * delta / n->before);
		else
			fprintf(c->f, "; new");
	}
	fprintf(c->f,
		")</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" fill=\"%s\"/>",
		x, y, w, FRAME_H - 1, fill);
	/* No <text> where no label fits: most frames of a big graph; made on zoom. */
	if (label_fits(w)) {
		fprintf(c->f, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + FRAME_H - 4.5);
		label(c->f, n->name, w);
		fputs("</text>", c->f);
	}
	fputs("</g>\n", c->f);
	c->drawn++;
	for (uint32_t k = 0; k < n->nchild; k++) {
		uint32_t kid = c->t->kids[n->first + k];

		draw(c, kid, x);
		x += (double)c->t->n[kid].value * c->scale;
	}
}

/* The script: zoom, search, details, label refit. Kept small and dependency-free. */
static const char svg_script[] =
	"var SVGNS='http://www.w3.org/2000/svg',W,PAD,FS,FW,FH,ICICLE,fr=[],details,matched,unzoomBtn,searchBtn,term=null,zoomed=null;\n"
	"function init(){var s=document.documentElement;W=+s.getAttribute('width');\n"
	" PAD=+s.getAttribute('data-pad');FS=+s.getAttribute('data-fs');FW=+s.getAttribute('data-fw');FH=+s.getAttribute('data-fh');\n"
	" ICICLE=s.getAttribute('data-icicle')=='1';details=document.getElementById('details');\n"
	" matched=document.getElementById('matched');unzoomBtn=document.getElementById('unzoom');\n"
	" searchBtn=document.getElementById('search');var gs=document.getElementById('frames').children;\n"
	" for(var i=0;i<gs.length;i++){var g=gs[i],r=g.children[1],t=g.children[2]||null,ti=g.children[0].textContent;\n"
	"  var p=ti.lastIndexOf(' (');var nm=p>0?ti.substring(0,p):ti;\n"
	"  if(nm.endsWith(' [k]')||nm.endsWith(' [i]'))nm=nm.substring(0,nm.length-4);\n"
	"  g._i=i;fr.push({g:g,r:r,t:t,title:ti,name:nm,x:+r.getAttribute('x'),w:+r.getAttribute('width'),\n"
	"   y:+r.getAttribute('y'),fill:r.getAttribute('fill')});}\n"
	" var fg=document.getElementById('frames');\n"
	" fg.addEventListener('click',function(e){var g=e.target.closest('g');if(g&&g._i!==undefined)zoom(fr[g._i]);});\n"
	" fg.addEventListener('mouseover',function(e){var g=e.target.closest('g');if(g&&g._i!==undefined)details.textContent=fr[g._i].title;});\n"
	" fg.addEventListener('mouseout',function(){details.textContent=' ';});\n"
	" unzoomBtn.addEventListener('click',unzoom);searchBtn.addEventListener('click',searchPrompt);\n"
	" document.getElementById('reset').addEventListener('click',resetSearch);\n"
	" window.addEventListener('keydown',function(e){if(e.keyCode===114||((e.ctrlKey||e.metaKey)&&e.keyCode===70)){e.preventDefault();searchPrompt();}\n"
	"  else if(e.keyCode===27){resetSearch();unzoom();}});\n"
	" var q=new URLSearchParams(location.search);if(q.get('s'))search(q.get('s'));\n"
	" if(q.get('z')){for(var i=0;i<fr.length;i++)if(fr[i].name===q.get('z')){zoom(fr[i]);break;}}\n"
	" s.setAttribute('data-ready',fr.length);}\n"
	"function fit(f,w){var n=Math.floor((w-6)/(FS*FW));if(n<3)return '';\n"
	" return f.name.length<=n?f.name:f.name.substring(0,n-2)+'..';}\n"
	"function place(f,x,w,parent){f.r.setAttribute('x',x.toFixed(2));f.r.setAttribute('width',w.toFixed(2));\n"
	" var l=fit(f,w);if(l&&!f.t){f.t=document.createElementNS(SVGNS,'text');\n"
	"  f.t.setAttribute('y',(f.y+FH-4.5).toFixed(1));f.g.appendChild(f.t);}\n"
	" if(f.t){f.t.setAttribute('x',(x+3).toFixed(2));f.t.textContent=l;}f.g.style.display='';\n"
	" f.g.style.opacity=parent?'0.6':'';}\n"
	"function zoom(n){var x0=n.x,w0=n.w,ratio=(W-2*PAD)/w0,e=1e-6;zoomed=n;\n"
	" for(var i=0;i<fr.length;i++){var f=fr[i],inside=f.x>=x0-e&&f.x+f.w<=x0+w0+e;\n"
	"  var anc=ICICLE?f.y<n.y:f.y>n.y;\n"
	"  if(inside&&!anc)place(f,PAD+(f.x-x0)*ratio,f.w*ratio,false);\n"
	"  else if(anc&&f.x<=x0+e&&f.x+f.w>=x0+w0-e)place(f,PAD,W-2*PAD,true);\n"
	"  else f.g.style.display='none';}\n"
	" unzoomBtn.style.opacity='1';}\n"
	"function unzoom(){zoomed=null;for(var i=0;i<fr.length;i++)place(fr[i],fr[i].x,fr[i].w,false);\n"
	" unzoomBtn.style.opacity='0';}\n"
	"function searchPrompt(){var t=prompt('Search frames (regular expression):',term||'');\n"
	" if(t!==null&&t!=='')search(t);}\n"
	"function search(t){var re;try{re=new RegExp(t);}catch(err){alert('bad regular expression: '+err.message);return;}\n"
	" term=t;var iv=[];for(var i=0;i<fr.length;i++){var f=fr[i];\n"
	"  if(re.test(f.name)&&f.y!==fr[0].y){f.r.setAttribute('fill','rgb(230,0,230)');iv.push([f.x,f.x+f.w]);}\n"
	"  else f.r.setAttribute('fill',f.fill);}\n"
	" iv.sort(function(a,b){return a[0]-b[0];});var sum=0,end=-1;\n"
	" for(var j=0;j<iv.length;j++){var a=iv[j][0],b=iv[j][1];if(a>=end){sum+=b-a;end=b;}\n"
	"  else if(b>end){sum+=b-end;end=b;}}\n"
	" var pct=fr.length?100*sum/fr[0].w:0;matched.textContent='Matched: '+pct.toFixed(2)+'% ('+t+')';\n"
	" matched.setAttribute('data-pct',pct.toFixed(4));document.getElementById('reset').style.opacity='1';}\n"
	"function resetSearch(){term=null;for(var i=0;i<fr.length;i++)fr[i].r.setAttribute('fill',fr[i].fill);\n"
	" matched.textContent=' ';document.getElementById('reset').style.opacity='0';}\n";

static int write_svg(FILE *f, const struct lt_profile *p, const struct lt_profile *before,
		     double scale, const struct lt_out_opts *o)
{
	static const struct lt_out_opts defaults = { .minwidth = 0.1 };
	struct ftree t;
	struct svg_ctx c = { .f = f, .p = p, .o = o ? o : &defaults, .diff = before != NULL };
	char when[64], dur[48], tot[48];
	struct tm tm;
	int err;

	err = tree_build(&t, p, before, scale);
	if (err) {
		tree_free(&t);
		return err;
	}
	c.t = &t;
	c.height = TOP_H + BOTTOM_H + (int)(t.maxdepth + 1) * FRAME_H;
	c.scale = t.n[0].value ? (double)(SVG_WIDTH - 2 * SVG_PAD) / (double)t.n[0].value : 0;
	c.minw = c.o->minwidth_pct ? c.o->minwidth * (SVG_WIDTH - 2 * SVG_PAD) / 100.0 :
				     c.o->minwidth;
	gmtime_r(&p->start, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	/* Read-back profiles (report) have no duration of their own. */
	if (p->duration_s > 0)
		snprintf(dur, sizeof(dur), " \xc2\xb7 %.1f s", p->duration_s);
	else
		dur[0] = 0;
	lt_format_value(tot, sizeof(tot), (double)t.n[0].value, p->unit);

	fprintf(f,
		"<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\" data-pad=\"%d\" data-fs=\"%d\" data-fh=\"%d\" "
		"data-fw=\"%.2f\" data-icicle=\"%d\" onload=\"init(evt)\">\n",
		SVG_WIDTH, c.height, SVG_WIDTH, c.height, SVG_PAD, FONT_SIZE, FRAME_H, FONT_WIDTH,
		c.o->icicle ? 1 : 0);
	fprintf(f,
		"<style>text{font-family:Verdana,sans-serif;font-size:%dpx;fill:#000}"
		"#frames text{pointer-events:none}#frames rect{stroke:#fff;stroke-width:0.5;rx:2px;ry:2px}"
		"#frames g:hover rect{stroke:#000;stroke-width:0.8;cursor:pointer}"
		".btn{cursor:pointer;fill:#246}#title{font-size:17px}#subtitle{fill:#555}"
		"</style>\n<script><![CDATA[\n%s]]></script>\n",
		FONT_SIZE, svg_script);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f8f8\"/>\n");
	fprintf(f, "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">", SVG_WIDTH / 2);
	if (c.o->title)
		xml_escape(f, c.o->title, SIZE_MAX);
	else {
		char what[128];

		snprintf(what, sizeof(what), "%s", p->what ? p->what : p->tool);
		if (what[0] >= 'a' && what[0] <= 'z')
			what[0] -= 'a' - 'A';
		fprintf(f, "%s %sflame graph", what, c.diff ? "differential " : "");
	}
	fprintf(f,
		"</text>\n<text id=\"subtitle\" x=\"%d\" y=\"44\" text-anchor=\"middle\">latprof ",
		SVG_WIDTH / 2);
	xml_escape(f, p->tool, SIZE_MAX);
	fputs(" \xc2\xb7 ", f);
	xml_escape(f, p->target[0] ? p->target : "all tasks", SIZE_MAX);
	fprintf(f, "%s \xc2\xb7 %s \xc2\xb7 total %s \xc2\xb7 unit %s</text>\n", dur, when, tot,
		p->unit);
	fprintf(f,
		"<text id=\"unzoom\" class=\"btn\" x=\"%d\" y=\"24\" style=\"opacity:0\">"
		"Reset Zoom</text>\n",
		SVG_PAD);
	fprintf(f,
		"<text id=\"search\" class=\"btn\" x=\"%d\" y=\"24\" text-anchor=\"end\">"
		"Search</text>\n",
		SVG_WIDTH - SVG_PAD);
	fprintf(f,
		"<text id=\"reset\" class=\"btn\" x=\"%d\" y=\"%d\" text-anchor=\"end\" "
		"style=\"opacity:0\">Reset Search</text>\n",
		SVG_WIDTH - SVG_PAD, c.height - 8);
	fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n", SVG_PAD, c.height - 8);
	fprintf(f, "<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"> </text>\n",
		SVG_WIDTH - SVG_PAD - 110, c.height - 8);
	fputs("<g id=\"frames\">\n", f);
	if (t.n[0].value)
		draw(&c, 0, SVG_PAD);
	fputs("</g>\n</svg>\n", f);
	tree_free(&t);
	return ferror(f) ? -EIO : 0;
}

int lt_write_svg(FILE *f, const struct lt_profile *p, const struct lt_out_opts *o)
{
	return write_svg(f, p, NULL, 1.0, o);
}

int lt_write_svg_diff(FILE *f, const struct lt_profile *after, const struct lt_profile *before,
		      double scale, const struct lt_out_opts *o)
{
	return write_svg(f, after, before, scale, o);
}
