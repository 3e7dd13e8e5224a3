# host.profile - Linux and other hosts running net-snmp's snmpd: load,
# CPU, memory, swap, disks and interfaces, from HOST-RESOURCES-MIB, IF-MIB
# and UCD-SNMP-MIB.  See src/sources/snmp_profile.h for the syntax.

profile host
description "Hosts with net-snmp (HOST-RESOURCES-MIB, IF-MIB, UCD-SNMP-MIB)"
# Generic: chosen by detection only when no vendor profile fits (a LANTIME
# runs net-snmp too, and is read with the meinberg profile).
fallback

detect 1.3.6.1.2.1.25.1.1.0                  # hrSystemUptime
detect 1.3.6.1.4.1.2021.10.1.5.1             # UCD laLoadInt.1

# UCD-SNMP-MIB laLoadInt: the load averages times 100
scalar load1 1.3.6.1.4.1.2021.10.1.5.1 gauge scale 0.01 optional
scalar load5 1.3.6.1.4.1.2021.10.1.5.2 gauge scale 0.01 optional
scalar load15 1.3.6.1.4.1.2021.10.1.5.3 gauge scale 0.01 optional

# UCD-SNMP-MIB ssCpuRaw*: ticks spent per mode, as rates (ticks per second;
# their sum over the modes is the number of ticks per second)
scalar cpu_user 1.3.6.1.4.1.2021.11.50.0 counter optional       # ssCpuRawUser
scalar cpu_nice 1.3.6.1.4.1.2021.11.51.0 counter optional       # ssCpuRawNice
scalar cpu_system 1.3.6.1.4.1.2021.11.52.0 counter optional     # ssCpuRawSystem
scalar cpu_idle 1.3.6.1.4.1.2021.11.53.0 counter optional       # ssCpuRawIdle
scalar cpu_wait 1.3.6.1.4.1.2021.11.54.0 counter optional       # ssCpuRawWait
scalar cpu_interrupt 1.3.6.1.4.1.2021.11.56.0 counter optional  # ssCpuRawInterrupt
scalar cpu_softirq 1.3.6.1.4.1.2021.11.61.0 counter optional    # ssCpuRawSoftIRQ

# HOST-RESOURCES-MIB hrProcessorLoad: per processor, average over the last minute
table processor 1.3.6.1.2.1.25.3.3.1 processor              # hrProcessorEntry
column load 2 gauge unit ratio scale 0.01                   # hrProcessorLoad (%)

# UCD-SNMP-MIB memory, in kB.  A host without swap reports 0 total swap:
# that is no error.
scalar memory_size 1.3.6.1.4.1.2021.4.5.0 gauge unit bytes scale 1024       # memTotalReal
scalar memory_available 1.3.6.1.4.1.2021.4.6.0 gauge unit bytes scale 1024   # memAvailReal
scalar memory_buffer 1.3.6.1.4.1.2021.4.14.0 gauge unit bytes scale 1024 optional  # memBuffer
scalar memory_cached 1.3.6.1.4.1.2021.4.15.0 gauge unit bytes scale 1024 optional  # memCached
scalar swap_size 1.3.6.1.4.1.2021.4.3.0 gauge unit bytes scale 1024 optional      # memTotalSwap
scalar swap_available 1.3.6.1.4.1.2021.4.4.0 gauge unit bytes scale 1024 optional  # memAvailSwap

# HOST-RESOURCES-MIB hrStorageTable: file systems (and memory areas), by
# description (the mount point); sizes in allocation units
table storage 1.3.6.1.2.1.25.2.3.1 storage key descr        # hrStorageEntry
column descr 3 string                                       # hrStorageDescr
column unit_size 4 gauge hidden                             # hrStorageAllocationUnits
column size 5 gauge unit bytes mul unit_size                # hrStorageSize
column used 6 gauge unit bytes mul unit_size                # hrStorageUsed

# IF-MIB ifXTable: interfaces by name (ifName), so that interfaces that come
# and go (VPN tunnels) keep their series; 64-bit counters as rates
table interface 1.3.6.1.2.1.31.1.1.1 interface key name     # ifXEntry
column name 1 string                                        # ifName
column receive 6 counter64 unit bytes                       # ifHCInOctets
column transmit 10 counter64 unit bytes                     # ifHCOutOctets
column receive_packets 7 counter64                          # ifHCInUcastPkts
column transmit_packets 11 counter64                        # ifHCOutUcastPkts
