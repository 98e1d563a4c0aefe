/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * genericups: an event-driven contact-closure UPS driver for Network UPS
 * Tools, a drop-in for NUT's own genericups.
 */
#include "driver.h"

int main(int argc, char **argv)
{
	return driver_main(argc, argv);
}
