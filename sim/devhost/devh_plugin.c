// SPDX-License-Identifier: MIT
/*
 * Device plugin descriptors: the ABI checks and the shared-object loader.
 */
#include "sim/devhost/devh_priv.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#define PLUGIN_V1_MIN_SIZE offsetof(struct vdpasim_device_plugin, control)

/* Write the explanation (if asked for) and return r. */
#define FAIL(r, ...)                                          \
	do {                                                  \
		if (err && errlen)                            \
			snprintf(err, errlen, __VA_ARGS__);   \
		return (r);                                   \
	} while (0)

int devh_plugin_check(const struct vdpasim_device_plugin *p, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = 0;
	if (!p)
		FAIL(-EINVAL, "no plugin descriptor");
	if (p->abi_version != VDPASIM_PLUGIN_ABI_VERSION)
		FAIL(-EPROTO, "device plugin ABI version %u, but this vdpasim supports version %u "
		     "(rebuild the plugin against this include/vdpasim/device_plugin.h)",
		     p->abi_version, (unsigned)VDPASIM_PLUGIN_ABI_VERSION);
	/* later versions append fields; anything shorter than v1 is broken */
	if (p->size < PLUGIN_V1_MIN_SIZE)
		FAIL(-EINVAL, "descriptor size %u is smaller than the %zu bytes of ABI version %u",
		     p->size, PLUGIN_V1_MIN_SIZE, (unsigned)VDPASIM_PLUGIN_ABI_VERSION);
	if (!p->name || !p->name[0])
		FAIL(-EINVAL, "descriptor has no name");
	if (!p->create || !p->destroy || !p->mmio_read || !p->mmio_write || !p->reset)
		FAIL(-EINVAL,
		     "plugin '%s' lacks a mandatory callback (create, destroy, mmio_read, "
		     "mmio_write and reset are required)",
		     p->name);
	return 0;
}

int devh_plugin_load(const char *path, const struct vdpasim_device_plugin **out, char *err,
		     size_t errlen)
{
	vdpasim_device_plugin_fn get;
	const struct vdpasim_device_plugin *p;
	void *h, *sym;
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = 0;
	if (!path)
		FAIL(-EINVAL, "no plugin path");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		if (err && errlen)
			snprintf(err, errlen, "device plugin '%s' cannot be loaded: %s", path,
				 dlerror());
		return -ENOENT;
	}
	dlerror();
	sym = dlsym(h, VDPASIM_PLUGIN_SYMBOL);
	if (!sym) {
		if (err && errlen)
			snprintf(err, errlen, "device plugin '%s' does not export %s() (is it a "
				 "vdpasim device plugin? see docs/plugin-abi.md)", path,
				 VDPASIM_PLUGIN_SYMBOL);
		dlclose(h);
		return -ENOEXEC;
	}
	/* POSIX: a function pointer travels through void * this way */
	*(void **)&get = sym;
	p = get();
	if (!p) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s() returned no descriptor", path,
				 VDPASIM_PLUGIN_SYMBOL);
		dlclose(h);
		return -ENOEXEC;
	}
	r = devh_plugin_check(p, err, errlen);
	if (r) {
		if (err && errlen) {
			char why[192];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "%s: %s", path, why);
		}
		dlclose(h);
		return r;
	}
	*out = p; /* h stays open: the descriptor lives in it */
	return 0;
}
