#!/usr/bin/env python3
"""nmea_feeder.py - a fake NMEA GPS on a pseudo-terminal, for NTPsec's NMEA
refclock driver (refclock nmea ... path LINK).

Opens a pty pair, links LINK to the slave side (/dev/pts/N) and writes, right
after every whole second of this machine's clock, what a GPS would send for
that second:

  good    $GPRMC (status A, date) and $GPGGA (fix quality 1), both with valid
          checksums: the driver accepts them (timecode = the last sentence);
  bad     a good $GPRMC, then $GPGGA with a wrong checksum and a line of
          garbage: field_init() rejects both as CHECK_INVALID and
          refclock_report(CEVNT_BADREPLY) counts badformat up (2 a second)
          and sets the clock status to 2 ("bad reply", ntpq's
          clk_bad_format).  The good $GPRMC keeps the median filter fed, so
          no poll reports a timeout and the status stays 2 (no driver event
          ever sets it back to 0, nominal);
  broken  all three broken: badformat up 3 a second, but every poll (empty
          filter) reports CEVNT_TIMEOUT, so the status flips between 2 and 1;
  silent  nothing: each poll with an empty median filter is CEVNT_TIMEOUT
          (noreply up, status 1, "no reply");
  gga     $GPGGA alone (fix quality 1), with 4 + (second mod 9) satellites
          and an HDOP of (satellites / 10), so that the driver's last
          sentence (clockstats) says something that changes.

The mode is read every second from MODEFILE (one word; "good" if the file
is missing).  Everything the other side echoes back is drained and dropped.
Writes one line per second to stdout: the mode and how many lines it sent.

usage: nmea_feeder.py LINK MODEFILE
"""
import os
import pty
import select
import sys
import time
import tty


def checksum(body):
    c = 0
    for ch in body.encode("ascii"):
        c ^= ch
    return "%02X" % c


def sentence(body, good=True):
    cs = checksum(body)
    if not good:
        cs = "%02X" % (int(cs, 16) ^ 0x5A)
    return "$%s*%s\r\n" % (body, cs)


def sentences(t, mode):
    tm = time.gmtime(t)
    hms = time.strftime("%H%M%S", tm) + ".00"
    date = time.strftime("%d%m%y", tm)
    rmc = "GPRMC,%s,A,4807.038,N,01131.000,E,000.0,000.0,%s,000.0,E,A" % (hms, date)
    gga = "GPGGA,%s,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,," % hms
    if mode == "good":
        return [sentence(rmc), sentence(gga)]
    if mode == "bad":
        # The time still comes ($GPRMC is good), so no poll times out and
        # the status stays "bad reply" instead of flipping to "no reply".
        return [sentence(rmc), sentence(gga, False),
                "#%$!garbage~~ not NMEA at all " + hms + "\r\n"]
    if mode == "gga":
        sats = 4 + int(t) % 9
        return [sentence("GPGGA,%s,4807.038,N,01131.000,E,1,%02d,%.1f,545.4,M,46.9,M,,"
                         % (hms, sats, sats / 10.0))]
    if mode == "broken":
        return [sentence(rmc, False), sentence(gga, False),
                "#%$!garbage~~ not NMEA at all " + hms + "\r\n"]
    return []


def read_mode(path):
    try:
        with open(path) as f:
            m = f.read().strip()
    except OSError:
        return "good"
    return m if m in ("good", "bad", "broken", "silent", "gga") else "good"


def main():
    link, modefile = sys.argv[1], sys.argv[2]
    master, slave = pty.openpty()
    tty.setraw(slave)          # no echo until ntpd sets its own line discipline
    name = os.ttyname(slave)
    try:
        os.unlink(link)
    except FileNotFoundError:
        pass
    os.symlink(name, link)
    os.set_blocking(master, False)
    print("pty %s linked as %s" % (name, link), flush=True)
    while True:
        now = time.time()
        nxt = int(now) + 1
        # Sleep to just after the next second, draining echoes meanwhile.
        while True:
            left = nxt - time.time()
            if left <= 0:
                break
            r, _, _ = select.select([master], [], [], left)
            if r:
                try:
                    os.read(master, 4096)
                except OSError:
                    pass
        mode = read_mode(modefile)
        lines = sentences(nxt, mode)
        for ln in lines:
            try:
                os.write(master, ln.encode("ascii"))
            except BlockingIOError:
                pass
        print("%d %s %d" % (nxt, mode, len(lines)), flush=True)


if __name__ == "__main__":
    main()
