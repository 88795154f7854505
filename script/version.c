// SPDX-License-Identifier: MIT
/*
 * The one place the version string is compiled in.  The Makefile rebuilds
 * this file alone when `git describe` changes, so every output of one binary
 * names the same version.
 */
#include "vdpasim/version.h"

#ifndef VDPASIM_VERSION
#define VDPASIM_VERSION "unknown"
#endif

const char *vdpasim_version(void)
{
	return VDPASIM_VERSION;
}
