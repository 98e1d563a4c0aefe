#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
A umockdev test bed of USB-serial adapters, driven by lines on stdin:

  add NAME VID PID SERIAL|- PATH TTY DRIVER [PRODUCT]   plug in an adapter
  remove NAME                                           unplug it
  quit

Each command answers one line, "ok" or "error ...". The first line printed
is "ready UMOCKDEV_DIR". The bed has a root hub (bus 1); PATH is a port of it
("1-3") or of a hub the bed adds on first use ("1-4.2" adds hub 1-4).
Each adapter is the usb_device (busnum, devnum, idVendor, idProduct, serial,
product, speed, bConfigurationValue, binary descriptors: what libusb reads),
its interface 1.0 (bInterfaceNumber, driver link), the usb-serial port and
the tty with a /dev node, as Linux lays them out in sysfs. Unplugging sends
the "remove" uevents Linux sends (tty, port, interface, device), then
removes them: libusb's udev backend reports the departure from them.
"""
import sys

import gi
gi.require_version('UMockdev', '1.0')
from gi.repository import UMockdev  # noqa: E402

PCI = '/devices/pci0000:00/0000:00:14.0'
DRIVERS = {'ftdi_sio': 188, 'ch341': 188, 'pl2303': 188, 'cp210x': 188}


def descriptors(vid, pid, hub=False):
    dev = bytes([18, 1, 0x00, 0x02, 9 if hub else 0, 0, 0, 64,
                 vid & 0xff, vid >> 8, pid & 0xff, pid >> 8,
                 0x00, 0x06, 1, 2, 3, 1])
    cfg = bytes([9, 2, 18, 0, 1, 1, 0, 0x80, 50])
    intf = bytes([9, 4, 0, 0, 0, 9 if hub else 0xff, 0, 0, 0])
    return (dev + cfg + intf).hex()


class Bed:
    def __init__(self):
        self.tb = UMockdev.Testbed.new()
        self.devnum = 1
        self.adapters = {}
        self.hubs = set()
        self.minor = {}
        self.add_usb_device(PCI + '/usb1', 0x1d6b, 0x0002, None, 'Root hub', hub=True)

    def add_usb_device(self, syspath, vid, pid, serial, product, hub=False, children=''):
        devnum = self.devnum
        self.devnum += 1
        rec = children + (
            'P: %s\nN: bus/usb/001/%03d\n'
            'E: DEVNAME=/dev/bus/usb/001/%03d\nE: DEVTYPE=usb_device\n'
            'E: SUBSYSTEM=usb\nE: BUSNUM=001\nE: DEVNUM=%03d\n'
            'E: PRODUCT=%x/%x/600\n'
            'A: busnum=1\nA: devnum=%d\nA: idVendor=%04x\nA: idProduct=%04x\n'
            'A: bDeviceClass=%s\nA: speed=12\nA: bConfigurationValue=1\n'
            'A: dev=189:%d\n' % (syspath, devnum, devnum, devnum, vid, pid, devnum,
                                 vid, pid, '09' if hub else '00', devnum - 1))
        if serial:
            rec += 'A: serial=%s\n' % serial
        if product:
            rec += 'A: product=%s\n' % product
        rec += 'H: descriptors=%s\n' % descriptors(vid, pid, hub)
        self.tb.add_from_string(rec)
        return devnum

    def ensure_hub(self, path):
        """The hubs above a device path ("1-4.2" needs 1-4)."""
        parts = path.split('-', 1)[1].split('.')
        sys_path = PCI + '/usb1'
        for depth in range(1, len(parts)):
            name = '1-' + '.'.join(parts[:depth])
            sys_path += '/' + name
            if name not in self.hubs:
                self.add_usb_device(sys_path, 0x05e3, 0x0608, None, 'USB2.0 Hub', hub=True)
                self.hubs.add(name)
        return sys_path + '/' + path

    def add(self, name, vid, pid, serial, path, tty, driver, product):
        if name in self.adapters:
            raise ValueError('adapter %s is plugged in already' % name)
        dev = self.ensure_hub(path)
        intf = dev + '/' + path + ':1.0'
        port = intf + '/' + tty
        ttyp = port + '/tty/' + tty
        minor = int(''.join(c for c in tty if c.isdigit()) or 0)
        children = (
            'P: %s\nN: %s\nE: DEVNAME=/dev/%s\nE: SUBSYSTEM=tty\nE: MAJOR=188\n'
            'E: MINOR=%d\nA: dev=188:%d\n\n' % (ttyp, tty, tty, minor, minor) +
            'P: %s\nE: SUBSYSTEM=usb-serial\nE: DRIVER=%s\n'
            'L: driver=../../../../../../../bus/usb-serial/drivers/%s\n\n' % (port, driver, driver) +
            'P: %s\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\nE: DRIVER=%s\n'
            'A: bInterfaceNumber=00\nA: bInterfaceClass=ff\n'
            'L: driver=../../../../../../bus/usb/drivers/%s\n\n' % (intf, driver, driver))
        self.add_usb_device(dev, int(vid, 16), int(pid, 16),
                            None if serial == '-' else serial, product, children=children)
        self.adapters[name] = ['/sys' + p for p in (ttyp, port, intf, dev)]

    def remove(self, name):
        """As Linux: a remove uevent per device, children first, then gone."""
        paths = self.adapters.pop(name, None)
        if not paths:
            raise ValueError('no adapter %s' % name)
        for p in paths:
            self.tb.uevent(p, 'remove')
        for p in paths:
            self.tb.remove_device(p)


def main():
    bed = Bed()
    print('ready', bed.tb.get_root_dir(), flush=True)
    for line in sys.stdin:
        w = line.split()
        try:
            if not w:
                continue
            if w[0] == 'quit':
                print('ok', flush=True)
                break
            if w[0] == 'add' and len(w) >= 8:
                bed.add(w[1], w[2], w[3], w[4], w[5], w[6], w[7],
                        ' '.join(w[8:]) or 'USB Serial')
            elif w[0] == 'remove' and len(w) == 2:
                bed.remove(w[1])
            else:
                raise ValueError('bad command: %s' % line.strip())
            print('ok', flush=True)
        except Exception as e:  # one answer per command, whatever failed
            print('error', e, flush=True)


if __name__ == '__main__':
    main()
