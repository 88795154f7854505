// SPDX-License-Identifier: MIT
/*
 * The check registry, in run order.  A check is one file,
 * conformance/check_<name>.c, defining a const struct conf_check; it joins the
 * suite with a declaration in conf_priv.h and one line here.  Shards split
 * this list by position, so appending keeps earlier shards' contents stable.
 */
#include "conformance/conf_priv.h"

#include <stddef.h>

const struct conf_check *const conf_checks[] = {
	&conf_check_pci_identity,
	&conf_check_pci_msix,
	&conf_check_virtio_caps,
	&conf_check_feature_offer,
	&conf_check_net_config,
	&conf_check_driver_ok_gate,
	&conf_check_needs_reset,
	&conf_check_device_reset,
	&conf_check_ring_datapath,
	&conf_check_common_cfg,
	&conf_check_pci_cfg_access,
	&conf_check_msix_mapping,
	&conf_check_feature_negotiation,
	&conf_check_config_space,
	&conf_check_ring_notify,
	&conf_check_ring_framing,
	&conf_check_net_tx,
	&conf_check_ring_indirect,
	&conf_check_ring_avail,
	&conf_check_packed_sizes,
	&conf_check_vq_reset,
	&conf_check_net_rx_header,
	&conf_check_net_ctrl,
	&conf_check_net_mq,
	&conf_check_net_vlan,
	NULL,
};

const struct conf_check *const conf_selftest_checks[] = {
	&conf_check_selftest_pass,
	&conf_check_selftest_crash,
	&conf_check_selftest_hang,
	&conf_check_selftest_budget,
	&conf_check_selftest_misuse,
	NULL,
};
