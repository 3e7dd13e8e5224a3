# meinberg.profile - Meinberg LANTIME time servers (LTOS 6 and later) through
# MBG-SNMP-LTNG-MIB (enterprises.5597.30).  The object names in the comments
# are the MIB's; see sundial-snmp(1) and src/sources/snmp_profile.h for the
# syntax.  Copy this file to add objects: profiles are data, not code.

profile meinberg
description "Meinberg LANTIME (MBG-SNMP-LTNG-MIB)"

# sysObjectID of LANTIMEs is under enterprises.5597 (1.3.6.1.4.1.5597.3 on
# LTOS 6); mbgLtNgFirmwareVersion answers only on LTNG agents.
detect sysobjectid 1.3.6.1.4.1.5597
detect 1.3.6.1.4.1.5597.30.0.0.2.0

# The legacy MBG-SNMP-LT-MIB (mbgLantime, enterprises.5597.3): detected by
# its mbgLtFirmwareVersion.0 and named, not read.
legacy 1.3.6.1.4.1.5597.3.0.1.0 MBG-SNMP-LT-MIB

# mbgLtNgInfo
scalar firmware 1.3.6.1.4.1.5597.30.0.0.2.0 string          # mbgLtNgFirmwareVersion

# mbgLtNgRefclock
scalar refclocks 1.3.6.1.4.1.5597.30.0.1.1.0 gauge          # mbgLtNgNumberOfRefclocks
table refclock 1.3.6.1.4.1.5597.30.0.1.2.1 refclock         # mbgLtNgRefclockTableEntry
column type 2 gauge                                         # mbgLtNgRefclockType (131 values)
column usage 3 enum enum 0=notAvailable,1=secondary,2=compare,3=primary
column state 4 enum enum 0=notAvailable,1=synchronized,2=notSynchronized
column substate 5 enum enum "-1=mrsRefNone,0=notAvailable,1=gpsSync,2=gpsTracking,3=gpsAntennaDisconnected,4=gpsWarmBoot,5=gpsColdBoot,6=gpsAntennaShortCircuit,50=lwNeverSync,51=lwNotSync,52=lwSync,100=tcrNotSync,101=tcrSync,149=mrsIntOscSync,150=mrsGpsSync,151=mrs10MhzSync,152=mrsPpsInSync,153=mrs10MhzPpsInSync,154=mrsIrigSync,155=mrsNtpSync,156=mrsPtpIeee1588Sync,157=mrsPtpOverE1Sync,158=mrsFixedFreqInSync,159=mrsPpsStringSync,160=mrsVarFreqGpioSync,161=mrsReserved,162=mrsDcf77PzfSync,163=mrsLongwaveSync,164=mrsGlonassGpsSync,165=mrsHavequickSync,166=mrsExtOscSync,167=mrsSyncE"
# StatusA/StatusB mean good satellites (GPS), correlation (PZF) and field
# strength (long wave): the collector interprets them by the type above.
column statusa 6 gauge                                       # mbgLtNgRefclockStatusA
column statusa_max 7 gauge optional                            # mbgLtNgRefclockMaxStatusA
column statusb 8 gauge                                       # mbgLtNgRefclockStatusB
column statusb_max 9 gauge optional                            # mbgLtNgRefclockMaxStatusB
column leap 10 enum enum 0=notAvailable,1=leapSecondAnnounced optional   # mbgLtNgRefclockAdditionalInfo

# mbgLtNgNtp
scalar ntp_state 1.3.6.1.4.1.5597.30.0.2.1.0 enum enum 0=notAvailable,1=notSynchronized,2=synchronized   # mbgLtNgNtpCurrentState
scalar ntp_stratum 1.3.6.1.4.1.5597.30.0.2.2.0 gauge        # mbgLtNgNtpStratum
scalar ntp_refclock 1.3.6.1.4.1.5597.30.0.2.3.0 string      # mbgLtNgNtpRefclockName
scalar ntp_refclock_offset 1.3.6.1.4.1.5597.30.0.2.4.0 gauge parse ms-string   # mbgLtNgNtpRefclockOffset ("ms", a string)

# mbgLtNgNtpClientCounter: requests as rates, clients as counts
scalar ntp_requests 1.3.6.1.4.1.5597.30.0.2.8.4.0 counter64 optional       # mbgLtNgNtpCCTotalRequests
scalar ntp_clients 1.3.6.1.4.1.5597.30.0.2.8.3.0 gauge optional            # mbgLtNgNtpCCNumberOfClients
scalar ntp_clients_today 1.3.6.1.4.1.5597.30.0.2.8.8.0 gauge optional      # mbgLtNgNtpCCTodaysClients
scalar ntp_requests_last_minute 1.3.6.1.4.1.5597.30.0.2.8.7.0 gauge optional  # mbgLtNgNtpCCTotalRequestsLastMinute

# mbgLtNgSysTemperature
scalar temperature 1.3.6.1.4.1.5597.30.0.5.2.1.0 gauge unit celsius optional  # mbgLtNgSysTempCelsius
