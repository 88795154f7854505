// SPDX-License-Identifier: MIT
/*
 * Finding the device under test: a built-in model by name, or a vendor's
 * shared object loaded by sim/devhost (devh_plugin_load).  A plugin is refused
 * with a one-line reason before any of its callbacks run when its descriptor
 * does not match this simulator's ABI (include/vdpasim/device_plugin.h).
 */
#include "conformance/conf_priv.h"
#include "sim/devhost/devhost.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool is_path(const char *device)
{
	size_t n = strlen(device);

	return strchr(device, '/') || (n > 3 && !strcmp(device + n - 3, ".so"));
}

static void builtin_names(char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (const struct conf_builtin_device *d = conf_builtin_devices; d->name; d++) {
		int w = snprintf(buf + n, size > n ? size - n : 0, "%s%s", n ? ", " : "", d->name);

		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
	if (!n)
		snprintf(buf, size, "none");
}

static int open_builtin(const char *name, struct conf_plugin *p, char *err, size_t errlen)
{
	char names[256];

	for (const struct conf_builtin_device *d = conf_builtin_devices; d->name; d++) {
		if (strcmp(d->name, name))
			continue;
		p->desc = d->get();
		snprintf(p->source, sizeof(p->source), "builtin");
		snprintf(p->sha256, sizeof(p->sha256), "builtin");
		return devh_plugin_check(p->desc, err, errlen);
	}
	builtin_names(names, sizeof(names));
	return fail(err, errlen, -ENOENT,
		    "unknown device '%s' (built-in devices: %s; a plugin is given by its path, "
		    "e.g. ./libmydev.so)", name, names);
}

static int open_shared(const char *path, struct conf_plugin *p, char *err, size_t errlen)
{
	const char *base = strrchr(path, '/');
	char local[4096];
	struct stat st;
	int rc;

	if (stat(path, &st))
		return fail(err, errlen, -ENOENT, "device plugin '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, -EINVAL, "device plugin '%s' is not a regular file", path);
	/* dlopen searches the library path for a name without '/' */
	if (!strchr(path, '/')) {
		if (snprintf(local, sizeof(local), "./%s", path) >= (int)sizeof(local))
			return fail(err, errlen, -EINVAL, "device plugin path too long");
		path = local;
	}
	rc = eng_sha256_file(path, p->sha256);
	if (rc)
		return fail(err, errlen, rc, "device plugin '%s': cannot read: %s", path,
			    strerror(-rc));
	snprintf(p->source, sizeof(p->source), "%.*s", (int)sizeof(p->source) - 1,
		 base ? base + 1 : path);
	/* sim/devhost loads and checks it: one plugin loader in the project */
	rc = devh_plugin_load(path, &p->desc, err, errlen);
	return rc == -ENOENT || rc == -ENOEXEC ? -EINVAL : rc;
}

int conf_plugin_open(const char *device, struct conf_plugin *p, char *err, size_t errlen)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if (err && errlen)
		err[0] = 0;
	if (!device || !*device)
		return fail(err, errlen, -EINVAL, "no device given");
	rc = is_path(device) ? open_shared(device, p, err, errlen)
			     : open_builtin(device, p, err, errlen);
	if (rc)
		conf_plugin_close(p);
	return rc;
}

void conf_plugin_close(struct conf_plugin *p)
{
	/* a loaded plugin stays mapped for the life of the process (devh_plugin_load) */
	memset(p, 0, sizeof(*p));
}
