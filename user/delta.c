// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "delta.h"
#include "hash.h"

struct lt_delta_ent *lt_delta_get(struct lt_delta_map *m, const char *key)
{
	size_t j;

	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct lt_delta_ent *e = calloc(cap, sizeof(*e));

		if (!e)
			return NULL;
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->e[i].key)
				continue;
			for (j = lt_hash_str(m->e[i].key) & (cap - 1); e[j].key;
			     j = (j + 1) & (cap - 1))
				;
			e[j] = m->e[i];
		}
		free(m->e);
		m->e = e;
		m->cap = cap;
	}
	for (j = lt_hash_str(key) & (m->cap - 1); m->e[j].key; j = (j + 1) & (m->cap - 1))
		if (!strcmp(m->e[j].key, key))
			return &m->e[j];
	m->e[j].key = strdup(key);
	if (!m->e[j].key)
		return NULL;
	m->n++;
	return &m->e[j];
}

void lt_delta_free(struct lt_delta_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->e[i].key);
	free(m->e);
}
