/* A private directory for the fuzz targets that read files (the
 * configuration, menus), and a way to put an input in it, holding a copy
 * of the flagship menu as "asani.menu".  An input that names a device, a
 * FIFO or a kernel file (/dev, /proc, /sys, /run) is skipped, and '\'
 * becomes '_' so no libconfig escape can spell one: reading /dev/zero or
 * /dev/stdin would hang the run, not find a bug. */
#ifndef ASANIGW_FUZZ_SCRATCH_H
#define ASANIGW_FUZZ_SCRATCH_H

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char	scratch_dir[] = "/tmp/asanigw-fuzz-XXXXXX";

static inline void
scratch_cleanup(void)
{
	char	path[64];

	snprintf(path, sizeof path, "%s/asani.menu", scratch_dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/input", scratch_dir);
	unlink(path);
	rmdir(scratch_dir);
}

static inline void
scratch_copy(const char *from, const char *name)
{
	char	 path[64], buf[4096];
	FILE	*in, *out;
	size_t	 n;

	snprintf(path, sizeof path, "%s/%s", scratch_dir, name);
	in = fopen(from, "rb");
	out = fopen(path, "wb");
	assert(in != NULL && out != NULL);
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		assert(fwrite(buf, 1, n, out) == n);
	fclose(in);
	assert(fclose(out) == 0);
}

/* Writes data to the directory's "input" file and returns its path;
 * NULL for an input to skip. */
static inline const char *
scratch_input(const uint8_t *data, size_t len)
{
	static const char *const special[] = { "/dev", "/proc", "/sys",
		"/run" };
	static char	 path[64];
	FILE		*f;

	for (size_t i = 0; i < len; i++)
		for (size_t j = 0; j < sizeof special / sizeof special[0]; j++)
			if (len - i >= strlen(special[j]) && memcmp(data + i,
			    special[j], strlen(special[j])) == 0)
				return NULL;

	if (path[0] == '\0') {
		assert(mkdtemp(scratch_dir) != NULL);
		atexit(scratch_cleanup);
		scratch_copy("menus/asani.menu", "asani.menu");
		snprintf(path, sizeof path, "%s/input", scratch_dir);
	}
	f = fopen(path, "wb");
	assert(f != NULL);
	for (size_t i = 0; i < len; i++)
		assert(fputc(data[i] == '\\' ? '_' : data[i], f) != EOF);
	assert(fclose(f) == 0);
	return path;
}

#endif
