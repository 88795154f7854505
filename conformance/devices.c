// SPDX-License-Identifier: MIT
/*
 * The built-in devices `--device NAME` resolves to.  A model joins by adding
 * one line: its descriptor function, the same one a plugin would export, so
 * built-in models go through the plugin ABI like a vendor's.
 */
#include "conformance/conf_priv.h"
#include "sim/nic_ifcvf/nic_ifcvf.h"

#include <stddef.h>

const struct conf_builtin_device conf_builtin_devices[] = {
	{ "ifcvf", ifcvf_plugin },
	{ "testnet", conf_testnet_plugin },
	{ NULL, NULL },
};
