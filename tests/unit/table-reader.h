/* SPDX-License-Identifier: MIT */
/*
 * A config reader (config.h) over a table of (path, value) pairs: the
 * unit tests' and fuzz targets' stand-in for XenStore. Directories are
 * implied by the paths, as in XenStore. One path can be made to fail
 * with an errno, to test reader errors.
 */
#ifndef XENSND_TEST_TABLE_READER_H
#define XENSND_TEST_TABLE_READER_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/config.h>

struct table_entry {
	const char *path;
	const char *value;
};

struct table {
	const struct table_entry *entries;
	size_t n;
	const char *fail_path;	/* reading/listing this fails with fail_errno */
	int fail_errno;
};

static inline char *table_read(void *data, const char *path)
{
	const struct table *t = data;

	if (t->fail_path && strcmp(path, t->fail_path) == 0) {
		errno = t->fail_errno;
		return NULL;
	}
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->entries[i].path, path) == 0)
			return strdup(t->entries[i].value);
	errno = ENOENT;
	return NULL;
}

/* The child of dir that entry path lies under, or NULL: its length in *len. */
static inline const char *table_child(const char *dir, const char *path, size_t *len)
{
	size_t dlen = strlen(dir);
	const char *child, *slash;

	if (strncmp(path, dir, dlen) != 0 || path[dlen] != '/')
		return NULL;
	child = path + dlen + 1;
	slash = strchr(child, '/');
	*len = slash ? (size_t)(slash - child) : strlen(child);
	return *len ? child : NULL;
}

/* Like xs_directory: one allocation holding the array and the strings. */
static inline char **table_directory(void *data, const char *dir, unsigned int *num)
{
	const struct table *t = data;
	size_t n = 0, bytes = 0;
	bool exists = false;
	char **names, *strings;

	if (t->fail_path && strcmp(dir, t->fail_path) == 0) {
		errno = t->fail_errno;
		return NULL;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t len;

		if (strcmp(t->entries[i].path, dir) == 0)
			exists = true;
		if (table_child(dir, t->entries[i].path, &len)) {
			exists = true;
			n++;
			bytes += len + 1;
		}
	}
	if (!exists) {
		errno = ENOENT;
		return NULL;
	}
	names = malloc((n + 1) * sizeof(char *) + bytes + 1);
	if (names == NULL)
		return NULL;
	strings = (char *)(names + n + 1);
	*num = 0;
	for (size_t i = 0; i < t->n; i++) {
		size_t len;
		const char *child = table_child(dir, t->entries[i].path, &len);
		bool dup = false;

		if (child == NULL)
			continue;
		for (unsigned int k = 0; k < *num && !dup; k++)
			dup = strlen(names[k]) == len && strncmp(names[k], child, len) == 0;
		if (dup)
			continue;
		memcpy(strings, child, len);
		strings[len] = '\0';
		names[(*num)++] = strings;
		strings += len + 1;
	}
	return names;
}

static inline struct xensnd_reader table_reader(struct table *t)
{
	struct xensnd_reader r = { table_read, table_directory, t };

	return r;
}

#endif
