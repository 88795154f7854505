// SPDX-License-Identifier: MIT
/*
 * Replays fuzz inputs without libFuzzer: each file named on the command line,
 * or each regular file in a directory named there (in name order), is read
 * into a buffer of exactly its size and passed once to the harness's
 * LLVMFuzzerTestOneInput().  Linked with one harness and built like the unit
 * tests (ASan + UBSan), so `make test` replays every checked-in input; a
 * sanitizer report or a failed FUZZ_CHECK ends the process with an error.
 *
 *     replay_<name> [-v] PATH...     (-v: name each input before running it)
 */
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static bool verbose;
static unsigned long replayed;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int rc = -EIO;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	/* exactly len bytes (at least one allocation): ASan sees any over-read */
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		goto out;
	if (verbose)
		fprintf(stderr, "replay: %s (%ld bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	replayed++;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "replay: %s: cannot read\n", path);
	free(buf);
	fclose(f);
	return rc;
}

static int no_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int replay_path(const char *path)
{
	struct dirent **list;
	struct stat st;
	int n, rc = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	n = scandir(path, &list, no_dot, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		char *p = malloc(strlen(path) + strlen(list[i]->d_name) + 2);

		if (!p) {
			rc = -ENOMEM;
		} else {
			sprintf(p, "%s/%s", path, list[i]->d_name);
			if (!stat(p, &st) && S_ISREG(st.st_mode) && replay_file(p))
				rc = -EIO;
			free(p);
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0, first = 1;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = true;
		first = 2;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: %s [-v] FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = first; i < argc; i++)
		if (replay_path(argv[i]))
			rc = 1;
	printf("replayed %lu inputs\n", replayed);
	return rc;
}
