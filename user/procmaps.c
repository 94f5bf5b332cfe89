// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "procmaps.h"

bool lt_parse_maps_line(const char *line, struct lt_mapping *m)
{
	unsigned long long start, end, pgoff, ino;
	unsigned int maj, min;
	char perms[8];
	int pos = 0;
	const char *p;
	size_t len;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &pgoff, &maj,
		   &min, &ino, &pos) < 7)
		return false;
	m->start = start;
	m->end = end;
	m->pgoff = pgoff;
	m->ino = ino;
	m->dev = (maj << 20) | min;
	m->exec = strchr(perms, 'x') != NULL;
	p = pos ? line + pos : "";
	while (*p == ' ')
		p++;
	len = strcspn(p, "\n");
	if (len >= sizeof(m->path))
		len = sizeof(m->path) - 1;
	memcpy(m->path, p, len);
	m->path[len] = 0;
	return true;
}

int lt_procmaps_read(uint32_t tgid, lt_mapping_cb cb, void *ctx)
{
	char path[64], line[4400];
	struct lt_mapping m;
	int ret = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%u/maps", tgid);
	fp = fopen(path, "re");
	if (!fp)
		return -errno;
	while (!ret && fgets(line, sizeof(line), fp)) {
		/* A line cut by the buffer: skip the rest of it. */
		if (!strchr(line, '\n') && !feof(fp)) {
			int c;

			while ((c = fgetc(fp)) != EOF && c != '\n')
				;
		}
		if (lt_parse_maps_line(line, &m) && m.exec)
			ret = cb(&m, ctx);
	}
	fclose(fp);
	return ret;
}
