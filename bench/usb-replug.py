#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Replug to fresh data, under umockdev (run by bench/usb-replug.sh, which sets
LD_PRELOAD, the shim's environment and ups.conf). One process is the test bed
(tests/usbbed.py's Bed) and the driver socket's client, so that the clock
starts when the bed sends the adapter's "add" uevents and stops when the
driver broadcasts DATAOK on its socket.

  usb-replug.py CASE N SOCKET STATEFILE DRIVER-ARGV...

Each round: unplug (remove uevents, then the shim's GONE=1: the tty hangs
up), wait for DATASTALE, stay away for a time drawn from 1-4 s (seeded, the
same for every case), replug (GONE=0, then the add uevents: t0), wait for
DATAOK (t1) up to 20 s. Prints one line per round and a summary.
"""
import os
import random
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
from usbbed import Bed  # noqa: E402

ON = 'CTS=1 DCD=1\n'


def sim_set(path, text):
    with open(path + '.tmp', 'w') as f:
        f.write(text)
    os.replace(path + '.tmp', path)


class Client:
    def __init__(self, path, deadline=10):
        end = time.monotonic() + deadline
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.connect(path)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        self.s.sendall(b'DUMPALL\n')
        self.buf = b''

    def wait_for(self, word, timeout):
        """Seconds until a line starting with word, None on timeout, 'EOF' if closed."""
        end = time.monotonic() + timeout
        while True:
            while b'\n' in self.buf:
                line, self.buf = self.buf.split(b'\n', 1)
                if line.split(b' ')[0] == word.encode():
                    return time.monotonic()
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                data = self.s.recv(4096)
            except socket.timeout:
                return None
            if not data:
                return 'EOF'
            self.buf += data


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    case, n, sock, state = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    argv = sys.argv[5:]
    bed = Bed()
    os.environ['UMOCKDEV_DIR'] = bed.tb.get_root_dir()
    sim_set(state, ON)
    bed.add('ch1', '1a86', '7523', '-', '1-2', 'ttyUSB1', 'ch341', 'USB Serial')
    bed.add('ch2', '1a86', '7523', '-', '1-4.1', 'ttyUSB2', 'ch341', 'USB Serial')
    env = dict(os.environ)
    env['LD_PRELOAD'] = os.environ['BENCH_PRELOAD']
    drv = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                           stderr=open(os.environ['BENCH_LOG'], 'w'))
    cl = Client(sock)
    if cl.wait_for('DATAOK', 3) is None:
        pass	# fresh from the start: no DATAOK is sent
    rng = random.Random(12)
    times, never = [], 0
    for i in range(n):
        usb = case.startswith('usb')
        # umockdev 0.17 cannot add a tty node under a name it had before
        # (an assertion in umockdev_testbed_create_node_for_device): a path
        # port's node stays in the bed and the shim's GONE=1 makes it absent
        # (opens fail ENOENT, open fds EIO); GONE=0 is then the replug
        if usb:
            bed.remove('ch2')
        sim_set(state, 'GONE=1 ' + ON)
        if cl.wait_for('DATASTALE', 20) in (None, 'EOF'):
            print('round %d: no DATASTALE after the unplug' % i)
        away = rng.uniform(1.0, 4.0)
        time.sleep(away)
        if usb:
            sim_set(state, ON)
            t0 = time.monotonic()
            bed.add('ch2', '1a86', '7523', '-', '1-4.1', 'ttyUSB%d' % (10 + i), 'ch341',
                    'USB Serial')
        else:
            t0 = time.monotonic()
            sim_set(state, ON)
        t1 = cl.wait_for('DATAOK', 20)
        if t1 == 'EOF' or t1 is None:
            rc = drv.poll()
            print('round %d: away %.2f s: no fresh data within 20 s (%s; driver %s)' %
                  (i, away, 'socket closed' if t1 == 'EOF' else 'timeout',
                   'exited with status %s' % rc if rc is not None else 'still running'))
            never += 1
            break
        times.append((t1 - t0) * 1000)
        print('round %d: away %.2f s: fresh data %.0f ms after the add uevent' %
              (i, away, times[-1]))
    if times:
        print('%s: %d replugs: median %.0f ms, p95 %.0f ms, max %.0f ms%s' %
              (case, len(times), pct(times, 50), pct(times, 95), max(times),
               ', %d never' % never if never else ''))
    else:
        print('%s: no replug followed (%d tried)' % (case, never))
    drv.terminate()
    try:
        drv.wait(5)
    except subprocess.TimeoutExpired:
        drv.kill()


if __name__ == '__main__':
    main()
