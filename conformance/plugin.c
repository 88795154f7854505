// SPDX-License-Identifier: MIT
/*
 * Finding the device under test: a built-in model by name, or a vendor's
 * shared object.  A plugin is refused with a one-line reason before any of its
 * callbacks run when its descriptor does not match this simulator's ABI
 * (include/vdpasim/device_plugin.h).
 */
#include "conformance/conf_priv.h"

#include <dlfcn.h>
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

/* The checks every descriptor must pass, built-in or not. */
int conf_plugin_check_descriptor(const struct vdpasim_device_plugin *d, const char *what,
				 char *err, size_t errlen)
{
	if (!d)
		return fail(err, errlen, -EINVAL, "%s: %s() returned no descriptor", what,
			    VDPASIM_PLUGIN_SYMBOL);
	if (d->abi_version != VDPASIM_PLUGIN_ABI_VERSION)
		return fail(err, errlen, -EPROTO,
			    "%s: device plugin ABI version %u, but this vdpasim supports version %d "
			    "(rebuild the plugin against this include/vdpasim/device_plugin.h)",
			    what, d->abi_version, VDPASIM_PLUGIN_ABI_VERSION);
	/* later versions may append fields; a smaller descriptor is a different ABI */
	if (d->size < sizeof(*d))
		return fail(err, errlen, -EPROTO,
			    "%s: descriptor size %u is smaller than this vdpasim's %zu bytes "
			    "for ABI version %d", what, d->size, sizeof(*d),
			    VDPASIM_PLUGIN_ABI_VERSION);
	if (!d->name || !*d->name)
		return fail(err, errlen, -EINVAL, "%s: descriptor has no name", what);
	if (!d->create || !d->destroy || !d->mmio_read || !d->mmio_write || !d->reset)
		return fail(err, errlen, -EINVAL,
			    "%s: descriptor lacks a mandatory callback (create, destroy, mmio_read, "
			    "mmio_write and reset are required)", what);
	return 0;
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
		return conf_plugin_check_descriptor(p->desc, name, err, errlen);
	}
	builtin_names(names, sizeof(names));
	return fail(err, errlen, -ENOENT,
		    "unknown device '%s' (built-in devices: %s; a plugin is given by its path, "
		    "e.g. ./libmydev.so)", name, names);
}

static int open_shared(const char *path, struct conf_plugin *p, char *err, size_t errlen)
{
	const char *base = strrchr(path, '/');
	vdpasim_device_plugin_fn get;
	char local[4096];
	struct stat st;
	void *sym;
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
	dlerror();
	p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p->handle) {
		const char *why = dlerror();

		return fail(err, errlen, -EINVAL, "device plugin '%s' cannot be loaded: %s", path,
			    why ? why : "unknown error");
	}
	dlerror();
	sym = dlsym(p->handle, VDPASIM_PLUGIN_SYMBOL);
	if (!sym)
		return fail(err, errlen, -EINVAL,
			    "device plugin '%s' does not export %s() (is it a vdpasim device "
			    "plugin? see docs/plugin-abi.md)", path, VDPASIM_PLUGIN_SYMBOL);
	get = (vdpasim_device_plugin_fn)sym;
	p->desc = get();
	return conf_plugin_check_descriptor(p->desc, path, err, errlen);
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
	if (p->handle)
		dlclose(p->handle);
	memset(p, 0, sizeof(*p));
}
