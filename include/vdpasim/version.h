/* SPDX-License-Identifier: MIT */
#ifndef VDPASIM_VERSION_H
#define VDPASIM_VERSION_H

/* The build's version (`git describe`), the same string in every output. */
const char *vdpasim_version(void);

#endif
